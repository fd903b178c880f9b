import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { NodeListReply, NodeListRequest, NodeRegisterReply, NodeRegisterRequest, Subjects } from '@silo/contracts';
import { NodesService } from './nodes.service';

@Controller()
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @MessagePattern(Subjects.nodeRegister)
  register(@Payload() request: NodeRegisterRequest): Promise<NodeRegisterReply> {
    return this.nodes.register(request);
  }

  @MessagePattern(Subjects.nodeList)
  list(@Payload() _request: NodeListRequest): Promise<NodeListReply> {
    return this.nodes.list();
  }
}
