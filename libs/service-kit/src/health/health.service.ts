import { Inject, Injectable } from '@nestjs/common';
import type { HealthCheckResult, HealthReply } from '@silo/contracts';
import { Clock } from '../clock/clock';
import { ServiceIdentity } from '../service-identity';
import { HEALTH_INDICATORS, HealthIndicator } from './health-indicator';

export const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly identity: ServiceIdentity,
    private readonly clock: Clock,
    @Inject(HEALTH_INDICATORS) private readonly indicators: HealthIndicator[],
  ) {}

  async report(): Promise<HealthReply> {
    const checks = await Promise.all(this.indicators.map((indicator) => this.run(indicator)));
    const now = this.clock.now();
    return {
      service: this.identity.service,
      instance: this.identity.instance,
      version: this.identity.version,
      startedAt: this.identity.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((now.getTime() - this.identity.startedAt.getTime()) / 1000)),
      status: checks.every((c) => c.status === 'pass') ? 'pass' : 'fail',
      checks,
    };
  }

  private async run(indicator: HealthIndicator): Promise<HealthCheckResult> {
    const started = this.clock.monotonicMs();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      const message = await Promise.race([indicator.check(), timeout]);
      return this.result(indicator.name, 'pass', started, message || undefined);
    } catch (err) {
      return this.result(indicator.name, 'fail', started, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private result(name: string, status: 'pass' | 'fail', started: number, message?: string): HealthCheckResult {
    const durationMs = Math.round((this.clock.monotonicMs() - started) * 100) / 100;
    return message === undefined ? { name, status, durationMs } : { name, status, message, durationMs };
  }
}
