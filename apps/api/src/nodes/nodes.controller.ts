import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NodeStatusReply, PrincipalView } from '@silo/contracts';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { NodeDetailReply, NodePatch, NodeReply } from './dto/nodes.dto';
import { NodesService } from './nodes.service';

@ApiTags('nodes')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @ApiContract({ summary: 'every node', reply: NodeStatusReply })
  list(@CurrentPrincipal() principal: PrincipalView): Promise<NodeStatusReply> {
    return this.nodes.list(principal);
  }

  @Get(':id')
  @ApiContract({ summary: 'one node and its tasks', reply: NodeDetailReply })
  get(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string): Promise<NodeDetailReply> {
    return this.nodes.get(principal, id);
  }

  @Patch(':id')
  @ApiContract({ summary: 'availability and labels (admin)', body: NodePatch, reply: NodeReply })
  update(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string, @Body() body: NodePatch): Promise<NodeReply> {
    return this.nodes.update(principal, id, body);
  }
}
