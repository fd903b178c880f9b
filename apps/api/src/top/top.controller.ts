import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from '@silo/contracts';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { TopReply } from './dto/top.dto';
import { TopUsageService } from './top.service';

@ApiTags('cluster')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1/top')
export class TopController {
  constructor(private readonly usage: TopUsageService) {}

  @Get()
  @ApiContract({ summary: "live usage from the agents' cgroups", reply: TopReply })
  top(@CurrentPrincipal() principal: PrincipalView): Promise<TopReply> {
    return this.usage.top(principal);
  }
}
