import { Injectable } from '@nestjs/common';
import { ComponentStatus, HealthReply, StatusReport, Subjects } from '@silo/contracts';
import type { ServiceName } from '@silo/domain';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { Clock, HealthService } from '@silo/service-kit';
import { ApiConfig } from '../config/api.config';

/** Services with one logical instance behind a queue group; agents are asked one and all. */
const QUEUED_SERVICES: ServiceName[] = ['registry', 'layer-store', 'scheduler'];

/**
 * The platform's health as seen from the api: NATS itself, each service's `silo.<service>.health`
 * (in parallel, each with a timeout), the api's own checks, and every node agent that answers the
 * broadcast health request.
 */
@Injectable()
export class StatusService {
  constructor(
    private readonly nats: NatsClient,
    private readonly connection: NatsConnectionService,
    private readonly health: HealthService,
    private readonly config: ApiConfig,
    private readonly clock: Clock,
  ) {}

  async report(): Promise<StatusReport> {
    const [natsStatus, services, self, agents] = await Promise.all([
      this.natsServer(),
      Promise.all(QUEUED_SERVICES.map((service) => this.service(service))),
      this.health.report().then(fromHealth),
      this.agents(),
    ]);
    const components = [natsStatus, ...services, self, ...agents];
    return { healthy: components.every((c) => c.state === 'healthy'), checkedAt: this.clock.now().toISOString(), components };
  }

  private async natsServer(): Promise<ComponentStatus> {
    const nc = this.connection.current();
    if (!nc) return { name: 'nats', state: 'unreachable', checks: [], error: `not connected to ${this.connection.url}` };
    const started = this.clock.monotonicMs();
    try {
      const rtt = await nc.rtt();
      const info = nc.info;
      return {
        name: 'nats',
        instance: `${info?.server_name ?? 'nats'} ${nc.getServer()}`,
        version: info?.version,
        state: 'healthy',
        checks: [
          { name: 'connection', status: 'pass', message: `rtt ${rtt} ms`, durationMs: round(this.clock.monotonicMs() - started) },
          {
            name: 'jetstream',
            status: info?.jetstream ? 'pass' : 'fail',
            message: info?.jetstream ? 'enabled' : 'disabled: start nats-server with -js',
            durationMs: 0,
          },
        ],
      };
    } catch (err) {
      return { name: 'nats', state: 'unreachable', checks: [], error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async service(service: ServiceName): Promise<ComponentStatus> {
    try {
      const reply = await this.nats.request(Subjects.health(service), {}, { reply: HealthReply, timeoutMs: this.config.statusTimeoutMs });
      return fromHealth(reply);
    } catch (err) {
      return { name: service, state: 'unreachable', checks: [], error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async agents(): Promise<ComponentStatus[]> {
    try {
      const { replies, failures } = await this.nats.requestMany(
        Subjects.health('node-agent'),
        {},
        { reply: HealthReply, timeoutMs: this.config.statusTimeoutMs, stallMs: 300 },
      );
      const rows = replies.map(fromHealth);
      for (const failure of failures) rows.push({ name: 'node-agent', state: 'unhealthy', checks: [], error: failure.message });
      if (rows.length === 0) return [{ name: 'node-agent', state: 'unreachable', checks: [], error: 'no node agent answered' }];
      return rows.sort((a, b) => (a.instance ?? '').localeCompare(b.instance ?? ''));
    } catch (err) {
      return [{ name: 'node-agent', state: 'unreachable', checks: [], error: err instanceof Error ? err.message : String(err) }];
    }
  }
}

function fromHealth(reply: HealthReply): ComponentStatus {
  return {
    name: reply.service,
    instance: reply.instance,
    version: reply.version,
    state: reply.status === 'pass' ? 'healthy' : 'unhealthy',
    uptimeSeconds: reply.uptimeSeconds,
    checks: reply.checks,
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
