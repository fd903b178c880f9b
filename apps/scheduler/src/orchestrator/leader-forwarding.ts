import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { validateContract } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { answerRequest, NatsClient, NatsConnectionService } from '@silo/messaging';
import type { Subscription } from 'nats';
import { LeadershipGate } from './orchestrator.service';

/** The subject only the leading replica serves, for a command that reached a standby. */
export function leaderSubject(subject: string): string {
  return subject.replace(/^silo\.scheduler\./, 'silo.scheduler.leader.');
}

type Handler = (data: unknown) => Promise<object>;

/**
 * Commands reach any scheduler replica (queue group), but only the leader holds the live model.
 * A standby forwards what it receives to `silo.scheduler.leader.…`, which only the leader
 * subscribes to (from the moment it leads until it stops leading).
 */
@Injectable()
export class LeaderForwarding implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LeaderForwarding.name);
  private readonly handlers = new Map<string, { contract: new () => object; handler: Handler }>();
  private subscription?: Subscription;

  constructor(
    private readonly gate: LeadershipGate,
    private readonly nats: NatsClient,
    private readonly connection: NatsConnectionService,
  ) {}

  register<T extends object>(subject: string, contract: new () => T, handler: (request: T) => Promise<object>): void {
    this.handlers.set(leaderSubject(subject), { contract, handler: handler as Handler });
  }

  /** Runs the command here when leading, else on the leader. */
  async run<T extends object, R extends object>(subject: string, request: T, reply: new () => R, here: () => Promise<R>): Promise<R> {
    if (this.gate.isLeader()) return here();
    try {
      return await this.nats.request(leaderSubject(subject), request, { reply, timeoutMs: 10_000 });
    } catch (err) {
      if (err instanceof SiloError && err.code === 'UNAVAILABLE') throw new SiloError('UNAVAILABLE', 'no scheduler is leading right now: try again in a few seconds');
      throw err;
    }
  }

  onApplicationBootstrap(): void {
    const follow = (leader: boolean): void => {
      if (leader) void this.subscribe();
      else this.unsubscribe();
    };
    this.gate.onChange(follow);
    if (this.gate.isLeader()) void this.subscribe();
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  private async subscribe(): Promise<void> {
    if (this.subscription) return;
    const nc = await this.connection.ready();
    if (this.subscription || !this.gate.isLeader()) return;
    this.subscription = nc.subscribe('silo.scheduler.leader.>', {
      queue: 'silo.scheduler.leader',
      callback: (_err, msg) => {
        const entry = this.handlers.get(msg.subject);
        const handler = (data: unknown): Promise<object> => {
          if (!entry) throw new SiloError('NOT_FOUND', `no handler for ${msg.subject}`);
          return entry.handler(validateContract(entry.contract, data));
        };
        void answerRequest(msg.data, async (data) => handler(data), (e) => this.logger.error(String(e))).then((reply) => msg.respond(reply));
      },
    });
  }

  private unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
