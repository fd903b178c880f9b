import type { HealthCheckSpec, HealthState } from '@silo/contracts';
import { connect } from 'node:net';

export interface HealthProbeDeps {
  exec: (command: string[], timeoutMs: number) => Promise<boolean>;
  /** The address a tcp check connects to (undefined: not reachable from the host). */
  address: () => string | undefined;
  onChange: (health: HealthState) => void;
}

/**
 * Docker's health-check rules: `starting` until the first success (failures during the start
 * period do not count), `healthy` after a success, `unhealthy` after RETRIES failures in a row.
 */
export class HealthProbe {
  private timer?: NodeJS.Timeout;
  private state: HealthState = 'starting';
  private failures = 0;
  private readonly startedAt = Date.now();
  private stopped = false;

  constructor(
    private readonly spec: HealthCheckSpec,
    private readonly deps: HealthProbeDeps,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), this.spec.intervalMs ?? 5000);
  }

  async probe(): Promise<HealthState> {
    const ok = await this.check().catch(() => false);
    if (this.stopped) return this.state;
    if (ok) {
      this.failures = 0;
      this.set('healthy');
    } else if (Date.now() - this.startedAt >= (this.spec.startPeriodMs ?? 0) || this.state !== 'starting') {
      this.failures += 1;
      if (this.failures >= (this.spec.retries ?? 3)) this.set('unhealthy');
    }
    this.schedule();
    return this.state;
  }

  private set(state: HealthState): void {
    if (state === this.state) return;
    this.state = state;
    this.deps.onChange(state);
  }

  private check(): Promise<boolean> {
    const timeoutMs = this.spec.timeoutMs ?? 3000;
    if (this.spec.type === 'exec') return this.deps.exec(this.spec.command ?? [], timeoutMs);
    const host = this.deps.address();
    if (!host || this.spec.port === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const socket = connect({ host, port: this.spec.port!, timeout: timeoutMs });
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
  }
}
