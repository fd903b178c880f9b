import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeRegisterReply, NodeRegisterRequest, Subjects } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { ServiceIdentity } from '@silo/service-kit';
import { NodeAgentConfig } from '../config/node-agent.config';
import { HostInfo } from '../host/host-info';

export const REGISTRATION_TIMING = Symbol('REGISTRATION_TIMING');

export interface RegistrationTiming {
  /** Re-registration period once registered (level-triggered: repeats are harmless). */
  refreshMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export const DEFAULT_REGISTRATION_TIMING: RegistrationTiming = { refreshMs: 30_000, retryMinMs: 500, retryMaxMs: 10_000 };

/**
 * Announces this node to the scheduler at start, retrying with backoff until the scheduler
 * answers, then again periodically so a scheduler that lost its state learns the node back.
 */
@Injectable()
export class NodeRegistrationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NodeRegistrationService.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private registered = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly connection: NatsConnectionService,
    private readonly host: HostInfo,
    private readonly config: NodeAgentConfig,
    private readonly identity: ServiceIdentity,
    @Inject(REGISTRATION_TIMING) private readonly timing: RegistrationTiming,
  ) {}

  onApplicationBootstrap(): void {
    void this.connection.ready().then(
      () => this.attempt(this.timing.retryMinMs),
      () => undefined,
    );
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  isRegistered(): boolean {
    return this.registered;
  }

  request(): NodeRegisterRequest {
    const facts = this.host.facts();
    return {
      nodeId: this.identity.instance,
      hostname: facts.hostname,
      agentVersion: this.identity.version,
      platform: { os: facts.os, arch: facts.arch },
      kernel: facts.kernel,
      cgroupMode: facts.cgroupMode,
      capacity: { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes },
      labels: this.config.labelMap,
    };
  }

  private async attempt(retryDelay: number): Promise<void> {
    if (this.stopped) return;
    try {
      const reply = await this.nats.request(Subjects.nodeRegister, this.request(), { reply: NodeRegisterReply });
      if (!this.registered) this.logger.log(`registered with the scheduler as ${reply.nodeId}${reply.firstSeen ? ' (new node)' : ''}`);
      this.registered = true;
      this.schedule(this.timing.refreshMs, this.timing.retryMinMs);
    } catch (err) {
      this.logger.warn(`registration failed (${err instanceof Error ? err.message : String(err)}); retrying in ${retryDelay} ms`);
      this.schedule(retryDelay, Math.min(retryDelay * 2, this.timing.retryMaxMs));
    }
  }

  private schedule(delay: number, nextRetry: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(nextRetry), delay);
  }
}
