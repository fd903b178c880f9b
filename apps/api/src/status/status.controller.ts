import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PrincipalView, StatusReport } from '@silo/contracts';
import { IsIn } from 'class-validator';
import { Public } from '../auth/public.decorator';
import { authorize } from '../authorization/policy';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { StatusService } from './status.service';

export class HealthReplyBody {
  @IsIn(['ok']) status!: 'ok';
}

@ApiTags('cluster')
@Controller('api/v1')
export class StatusController {
  constructor(private readonly status: StatusService) {}

  /** The api itself answers (no credentials needed). */
  @Public()
  @Get('health')
  @ApiContract({ summary: 'the api answers (no auth)', reply: HealthReplyBody })
  health(): HealthReplyBody {
    return { status: 'ok' };
  }

  /** Always 200 with the report; `healthy` says whether everything is. */
  @Get('status')
  @ApiBearerAuth()
  @ApiBasicAuth()
  @ApiContract({ summary: "the platform's services and their health", reply: StatusReport })
  report(@CurrentPrincipal() principal: PrincipalView): Promise<StatusReport> {
    authorize(principal, { kind: 'cluster', access: 'read' });
    return this.status.report();
  }
}
