import { Controller, Get, UseGuards } from '@nestjs/common';
import type { StatusReport } from '@silo/contracts';
import { BasicAuthGuard } from '../auth/basic-auth.guard';
import { StatusService } from './status.service';

@Controller('api/v1')
@UseGuards(BasicAuthGuard)
export class StatusController {
  constructor(private readonly status: StatusService) {}

  /** Always 200 with the report; `healthy` says whether everything is. */
  @Get('status')
  report(): Promise<StatusReport> {
    return this.status.report();
  }
}
