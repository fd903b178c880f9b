import { parseJoinToken } from '@silo/contracts';
import type { NatsClient } from '@silo/messaging';
import type { Clock } from '@silo/service-kit';
import { makeTempDir, TempDir } from '@silo/testing';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { SchedulerConfig } from '../config/scheduler.config';
import { JoinTokenEntity } from './join-token.entity';
import { JoinTokenRepository } from './join-token.repository';
import { generateJoinToken, hashJoinSecret, joinSecretMatches } from './join-token-secrets';
import { JoinTokensService, localJoinTokenFile } from './join-tokens.service';

class MemoryTokens extends JoinTokenRepository {
  readonly rows = new Map<string, JoinTokenEntity>();
  async find(id: string) {
    const row = this.rows.get(id);
    return row ? { ...row, nodeIds: [...row.nodeIds] } : null;
  }
  async save(token: JoinTokenEntity) {
    this.rows.set(token.id, { ...token, nodeIds: [...token.nodeIds] });
  }
  async list() {
    return [...this.rows.values()];
  }
}

describe('join token secrets', () => {
  it('makes SILO-JOIN-<id>-<secret> tokens that parse back, and distinct ones each time', () => {
    const a = generateJoinToken();
    const b = generateJoinToken();
    expect(a.token).toMatch(/^SILO-JOIN-[a-f0-9]{12}-[a-f0-9]{40}$/);
    expect(parseJoinToken(`  ${a.token}\n`)).toEqual({ id: a.id, secret: a.secret });
    expect(a.token).not.toBe(b.token);
    expect(parseJoinToken('SILO-JOIN-nothex-xyz')).toBeUndefined();
  });

  it('stores sha256(id:secret) and compares in constant time', () => {
    const { id, secret } = generateJoinToken();
    const hash = hashJoinSecret(id, secret);
    expect(hash).toMatch(/^[a-f0-9]{64}$/);
    expect(hash).not.toContain(secret);
    expect(joinSecretMatches(id, secret, hash)).toBe(true);
    expect(joinSecretMatches(id, `${secret.slice(0, -1)}0`.replace(/00$/, '01'), hash)).toBe(false);
    expect(joinSecretMatches('000000000000', secret, hash)).toBe(false);
    expect(joinSecretMatches(id, secret, 'abc')).toBe(false);
  });
});

describe('JoinTokensService', () => {
  let now: Date;
  let home: TempDir;
  let repo: MemoryTokens;
  let service: JoinTokensService;
  let config: SchedulerConfig;
  const published: Array<[string, unknown]> = [];
  const clock = { now: () => now, monotonicMs: () => 0 } as Clock;
  const nats = { publish: (s: string, p: unknown) => published.push([s, p]) } as unknown as NatsClient;

  beforeEach(async () => {
    now = new Date('2026-01-01T00:00:00Z');
    home = await makeTempDir();
    repo = new MemoryTokens();
    config = { home: home.path, natsUrl: 'nats://10.0.0.1:4222', requireJoinToken: true } as SchedulerConfig;
    service = new JoinTokensService(repo, clock, config, nats);
    published.length = 0;
  });

  afterEach(() => home.cleanup());

  it('creates a token shown once, stores only its hash, and lists it without the secret', async () => {
    const created = await service.create({ description: 'rack 4', ttlSeconds: 3600 });
    const { secret } = parseJoinToken(created.token)!;
    expect(created).toMatchObject({ natsUrl: 'nats://10.0.0.1:4222', joinToken: { description: 'rack 4', kind: 'admin', state: 'valid', expiresAt: '2026-01-01T01:00:00.000Z', nodeIds: [] } });
    expect(JSON.stringify([...repo.rows.values()])).not.toContain(secret);
    const { tokens } = await service.list();
    expect(tokens).toHaveLength(1);
    expect(JSON.stringify(tokens)).not.toContain(secret);
  });

  it('admits a valid token and records the nodes that joined with it, once each', async () => {
    const { token, joinToken } = await service.create({});
    for (const nodeId of ['node-a', 'node-b', 'node-a']) {
      const admitted = await service.admit(nodeId, token);
      await service.recordNode(admitted, nodeId);
    }
    expect(repo.rows.get(joinToken.id)!.nodeIds).toEqual(['node-a', 'node-b']);
  });

  it('refuses a missing, malformed, unknown or wrong token with UNAUTHORIZED', async () => {
    const { token } = await service.create({});
    const { id } = parseJoinToken(token)!;
    const wrongSecret = `SILO-JOIN-${id}-${'0'.repeat(40)}`;
    const unknown = generateJoinToken().token;
    await expect(service.admit('node-a', undefined)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('silo agent --join') });
    for (const bad of ['garbage', wrongSecret, unknown]) {
      await expect(service.admit('node-a', bad)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'node node-a presented an invalid join token' });
    }
  });

  it('refuses an expired token', async () => {
    const { token, joinToken } = await service.create({ ttlSeconds: 60 });
    await expect(service.admit('node-a', token)).resolves.toBeDefined();
    now = new Date('2026-01-01T00:01:00Z');
    await expect(service.admit('node-a', token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
    expect((await service.list()).tokens.find((t) => t.id === joinToken.id)?.state).toBe('expired');
  });

  it('revokes: registrations with it are refused, its nodes are named in the event, a second revoke changes nothing', async () => {
    const { token, joinToken } = await service.create({});
    await service.recordNode(await service.admit('node-a', token), 'node-a');
    const revoked = await service.revoke(joinToken.id);
    expect(revoked).toMatchObject({ changed: true, joinToken: { state: 'revoked', nodeIds: ['node-a'], revokedAt: now.toISOString() } });
    expect(published).toEqual([['silo.scheduler.join-token-revoked', { id: joinToken.id, nodeIds: ['node-a'] }]]);
    await expect(service.admit('node-a', token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('revoked') });
    expect((await service.revoke(joinToken.id)).changed).toBe(false);
    await expect(service.revoke('aaaaaaaaaaaa')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets anything register when SILO_REQUIRE_JOIN_TOKEN is off', async () => {
    config.requireJoinToken = false;
    await expect(service.admit('node-a', undefined)).resolves.toBeUndefined();
    await expect(service.admit('node-a', 'garbage')).resolves.toBeUndefined();
  });

  it('keeps a local token file (0600), the same across checks, a new one when it is revoked', async () => {
    const file = await service.ensureLocalToken();
    expect(file).toBe(localJoinTokenFile(home.path));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readFileSync(file, 'utf8').trim();
    await expect(service.admit('node-local', first)).resolves.toMatchObject({ kind: 'local' });
    await service.ensureLocalToken();
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    await service.revoke(parseJoinToken(first)!.id);
    const second = readFileSync(file, 'utf8').trim();
    expect(second).not.toBe(first);
    await expect(service.admit('node-local', second)).resolves.toBeDefined();
    writeFileSync(file, 'tampered\n');
    await service.ensureLocalToken();
    expect(parseJoinToken(readFileSync(file, 'utf8'))).toBeDefined();
  });
});
