import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  JoinTokenCreateReply,
  JoinTokenCreateRequest,
  JoinTokenKind,
  JoinTokenListReply,
  JoinTokenRevokeReply,
  JoinTokenView,
  parseJoinToken,
  Subjects,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsClient } from '@silo/messaging';
import { Clock } from '@silo/service-kit';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SchedulerConfig } from '../config/scheduler.config';
import { JoinTokenEntity } from './join-token.entity';
import { JoinTokenRepository } from './join-token.repository';
import { generateJoinToken, hashJoinSecret, joinSecretMatches } from './join-token-secrets';

/** Where the scheduler keeps the token of its own host's agent (`npm start`'s local agent). */
export function localJoinTokenFile(home: string): string {
  return join(home, 'scheduler', 'local-join-token');
}

const LOCAL_CHECK_MS = 30_000;

/**
 * Join tokens: an admin creates one (its secret is shown once, only its hash is kept), a host's
 * agent presents it at every registration, and revoking it refuses those registrations from then
 * on. The scheduler also keeps a `local` token in SILO_HOME for the agent on its own host.
 */
@Injectable()
export class JoinTokensService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JoinTokensService.name);
  private timer?: NodeJS.Timeout;
  /** Serialises read-modify-write of a token's node list within this process. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly tokens: JoinTokenRepository,
    private readonly clock: Clock,
    private readonly config: SchedulerConfig,
    private readonly nats: NatsClient,
  ) {}

  onApplicationBootstrap(): void {
    const check = () =>
      this.ensureLocalToken().catch((err: unknown) => this.logger.warn(`cannot keep the local join token: ${err instanceof Error ? err.message : String(err)}`));
    void check();
    this.timer = setInterval(() => void check(), LOCAL_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async create(request: JoinTokenCreateRequest, kind: JoinTokenKind = 'admin'): Promise<JoinTokenCreateReply> {
    const { id, secret, token } = generateJoinToken();
    const now = this.clock.now();
    const entity: JoinTokenEntity = {
      id,
      secretHash: hashJoinSecret(id, secret),
      description: request.description ?? '',
      kind,
      createdAt: now.toISOString(),
      expiresAt: request.ttlSeconds ? new Date(now.getTime() + request.ttlSeconds * 1000).toISOString() : null,
      revokedAt: null,
      nodeIds: [],
    };
    await this.tokens.save(entity);
    this.logger.log(`created ${kind} join token ${id}${entity.expiresAt ? ` (expires ${entity.expiresAt})` : ''}`);
    return { token, joinToken: this.view(entity), natsUrl: this.config.natsUrl };
  }

  async list(): Promise<JoinTokenListReply> {
    return { tokens: (await this.tokens.list()).map((t) => this.view(t)) };
  }

  async revoke(id: string): Promise<JoinTokenRevokeReply> {
    const reply = await this.serial(async () => {
      const token = await this.tokens.find(id);
      if (!token) throw new SiloError('NOT_FOUND', `no join token ${id} (silo node join-token ls lists them)`);
      if (token.revokedAt) return { joinToken: this.view(token), changed: false };
      token.revokedAt = this.clock.now().toISOString();
      await this.tokens.save(token);
      return { joinToken: this.view(token), changed: true };
    });
    if (reply.changed) {
      const { nodeIds } = reply.joinToken;
      this.logger.log(`revoked join token ${id}${nodeIds.length ? `; nodes that joined with it: ${nodeIds.join(', ')}` : ''}`);
      this.nats.publish(Subjects.joinTokenRevokedEvent, { id, nodeIds });
      if (reply.joinToken.kind === 'local') await this.ensureLocalToken();
    }
    return reply;
  }

  /**
   * Admission of a registration: the token it carries must be known, match, and be neither
   * revoked nor expired. Returns the token (undefined when SILO_REQUIRE_JOIN_TOKEN is off).
   */
  async admit(nodeId: string, presented: string | undefined): Promise<JoinTokenEntity | undefined> {
    if (!this.config.requireJoinToken) return undefined;
    if (!presented) {
      throw new SiloError('UNAUTHORIZED', `node ${nodeId} has no join token: start the agent with silo agent --join URL --token TOKEN (an admin creates one with silo node join-token create)`);
    }
    const parsed = parseJoinToken(presented);
    const token = parsed ? await this.tokens.find(parsed.id) : null;
    if (!parsed || !token || !joinSecretMatches(parsed.id, parsed.secret, token.secretHash)) {
      throw new SiloError('UNAUTHORIZED', `node ${nodeId} presented an invalid join token`);
    }
    const state = this.state(token);
    if (state === 'revoked') throw new SiloError('UNAUTHORIZED', `join token ${token.id} was revoked at ${token.revokedAt}: node ${nodeId} needs a new one`);
    if (state === 'expired') throw new SiloError('UNAUTHORIZED', `join token ${token.id} expired at ${token.expiresAt}: node ${nodeId} needs a new one`);
    return token;
  }

  /** Remembers that NODEID joined with TOKEN (once). */
  async recordNode(token: JoinTokenEntity | undefined, nodeId: string): Promise<void> {
    if (!token || token.nodeIds.includes(nodeId)) return;
    await this.serial(async () => {
      const fresh = await this.tokens.find(token.id);
      if (!fresh || fresh.nodeIds.includes(nodeId)) return;
      fresh.nodeIds = [...fresh.nodeIds, nodeId];
      await this.tokens.save(fresh);
    });
  }

  /**
   * Keeps a valid `local` token in `$SILO_HOME/scheduler/local-join-token` (mode 0600): a new one
   * at first start, and again whenever the one there was revoked, expired or is unknown.
   */
  async ensureLocalToken(): Promise<string> {
    const file = localJoinTokenFile(this.config.home);
    if (existsSync(file)) {
      const parsed = parseJoinToken(readFileSync(file, 'utf8'));
      const token = parsed ? await this.tokens.find(parsed.id) : null;
      if (parsed && token && joinSecretMatches(parsed.id, parsed.secret, token.secretHash) && this.state(token) === 'valid') return file;
    }
    const created = await this.create({ description: 'local agent (this host)' }, 'local');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${created.token}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
    this.logger.log(`wrote the local join token ${created.joinToken.id} to ${file}`);
    return file;
  }

  private state(token: JoinTokenEntity): JoinTokenView['state'] {
    if (token.revokedAt) return 'revoked';
    if (token.expiresAt && Date.parse(token.expiresAt) <= this.clock.now().getTime()) return 'expired';
    return 'valid';
  }

  private view(token: JoinTokenEntity): JoinTokenView {
    return {
      id: token.id,
      description: token.description,
      kind: token.kind as JoinTokenKind,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      revokedAt: token.revokedAt,
      state: this.state(token),
      nodeIds: [...token.nodeIds],
    };
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }
}
