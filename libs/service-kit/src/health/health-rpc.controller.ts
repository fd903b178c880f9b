import { Controller, Get, Res, Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { HealthReply, HealthRequest } from '@silo/contracts';
import type { Response } from 'express';
import { HealthService } from './health.service';

/** `silo.<service>.health` on NATS. The subject is the service's, so the class is made per service. */
export function healthRpcController(subject: string): Type<unknown> {
  @Controller()
  class HealthRpcController {
    constructor(private readonly health: HealthService) {}

    @MessagePattern(subject)
    check(@Payload() _request: HealthRequest): Promise<HealthReply> {
      return this.health.report();
    }
  }
  return HealthRpcController;
}

/** `GET /healthz` on the HTTP services: 200 when every check passes, 503 otherwise. */
@Controller()
export class HealthzController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  async healthz(@Res() res: Response): Promise<void> {
    const report = await this.health.report();
    res.status(report.status === 'pass' ? 200 : 503).json(report);
  }
}
