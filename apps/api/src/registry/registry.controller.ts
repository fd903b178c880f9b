import { Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { RegistryGcReply, Subjects } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsClient } from '@silo/messaging';
import { BasicAuthGuard } from '../auth/basic-auth.guard';

/** Registry operations for administrators (until the full API of #6 arrives). */
@Controller('api/v1/registry')
@UseGuards(BasicAuthGuard)
export class RegistryController {
  constructor(private readonly nats: NatsClient) {}

  /** `POST /api/v1/registry/gc?dryRun=true`: what GC freed (or would free). */
  @Post('gc')
  @HttpCode(200)
  gc(@Query('dryRun') dryRun?: string): Promise<RegistryGcReply> {
    if (dryRun !== undefined && !['true', 'false', '1', '0'].includes(dryRun)) {
      throw new SiloError('VALIDATION_FAILED', `dryRun must be true or false, got "${dryRun}"`);
    }
    return this.nats.request(Subjects.registryGc, { dryRun: dryRun === 'true' || dryRun === '1' }, { reply: RegistryGcReply, timeoutMs: 300_000 });
  }
}
