import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeRegisterReply, NodeRegisterRequest, Subjects } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { ServiceIdentity } from '@silo/service-kit';
import { readFileSync } from 'node:fs';
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
    const request: NodeRegisterRequest = {
      nodeId: this.identity.instance,
      hostname: facts.hostname,
      agentVersion: this.identity.version,
      platform: { os: facts.os, arch: facts.arch },
      kernel: facts.kernel,
      cgroupMode: facts.cgroupMode,
      capacity: { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes },
      labels: this.config.labelMap,
    };
    const joinToken = this.joinToken();
    return joinToken ? { ...request, joinToken } : request;
  }

  /** SILO_JOIN_TOKEN, else the token file (re-read each time: the scheduler may write it later). */
  joinToken(): string | undefined {
    if (this.config.joinToken) return this.config.joinToken.trim();
    try {
      return readFileSync(this.config.joinTokenPath, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  private async attempt(retryDelay: number): Promise<void> {
    if (this.stopped) return;
    let presented: string | undefined;
    try {
      const request = this.request();
      presented = request.joinToken;
      const reply = await this.nats.request(Subjects.nodeRegister, request, { reply: NodeRegisterReply });
      if (!this.registered) this.logger.log(`registered with the scheduler as ${reply.nodeId}${reply.firstSeen ? ' (new node)' : ''}`);
      this.registered = true;
      this.schedule(this.timing.refreshMs, this.timing.retryMinMs);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if ((err as { code?: string }).code === 'UNAUTHORIZED') {
        // Refused (no, a bad, a revoked or an expired join token): retry slowly, the token may be fixed.
        const source = this.config.joinToken ? 'SILO_JOIN_TOKEN' : this.config.joinTokenPath;
        this.registered = false;
        this.logger.error(`the scheduler refused this node: ${message} (token from ${source}); retrying in ${this.timing.retryMaxMs} ms, or as soon as the token changes`);
        this.retryWhenTokenChanges(presented);
        return;
      }
      this.logger.warn(`registration failed (${message}); retrying in ${retryDelay} ms`);
      this.schedule(retryDelay, Math.min(retryDelay * 2, this.timing.retryMaxMs));
    }
  }

  /** After a refusal: again after retryMaxMs, or at once when a different token appears. */
  private retryWhenTokenChanges(refused: string | undefined): void {
    const deadline = Date.now() + this.timing.retryMaxMs;
    const poll = Math.min(500, this.timing.retryMinMs);
    const tick = () => {
      if (this.stopped) return;
      if (Date.now() >= deadline || this.joinToken() !== refused) return void this.attempt(this.timing.retryMinMs);
      this.timer = setTimeout(tick, poll);
    };
    this.timer = setTimeout(tick, poll);
  }

  private schedule(delay: number, nextRetry: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(nextRetry), delay);
  }
}
