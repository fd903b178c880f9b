import { EXEC_STDIN_HEADER, EXEC_STREAM_HEADER, PrincipalView, ServiceSpec, ServiceView, Subjects } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { answerRequest, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headers as natsHeaders, NatsConnection, NatsError } from 'nats';
import WebSocket from 'ws';
import { ApiModule } from './api.module';
import { ApiConfig } from './config/api.config';
import { EventsService } from './events/events.service';
import { LogsService } from './logs/logs.service';

const quiet = { log() {}, warn() {}, error() {} };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NOW = '2026-11-28T12:00:00.000Z';

const principal = (name: string, role: PrincipalView['role'], teams: PrincipalView['teams'] = []): PrincipalView => ({ kind: 'user', name, role, teams, via: 'session' });
/** Session tokens the stand-in registry knows. */
const SESSIONS: Record<string, PrincipalView> = {
  'admin-token': principal('alice', 'admin'),
  'red-token': principal('rita', 'member', [{ team: 'red', role: 'push' }]),
  'red-pull-token': principal('paul', 'member', [{ team: 'red', role: 'pull' }]),
  'blue-token': principal('bob', 'member', [{ team: 'blue', role: 'push' }]),
  'viewer-token': principal('vera', 'viewer'),
  'red-admin-token': principal('ada', 'member', [{ team: 'red', role: 'admin' }]),
};

/** Answers SUBJECT in Silo's wire format (what the real services do), recording each request. */
function serve(nc: NatsConnection, subject: string, handler: (data: Record<string, unknown>) => unknown, calls?: Array<Record<string, unknown>>) {
  nc.subscribe(subject, {
    callback: (_err, msg) => {
      void answerRequest(msg.data, async (data) => {
        calls?.push(data as Record<string, unknown>);
        return handler(data as Record<string, unknown>);
      }).then((reply) => msg.respond(reply));
    },
  });
}

function view(spec: ServiceSpec, version = 1): ServiceView {
  return {
    id: `id-${spec.name}`,
    name: spec.name,
    mode: spec.mode ?? 'replicated',
    version,
    spec,
    desired: spec.replicas ?? 1,
    running: 1,
    rollout: 'completed',
    createdAt: NOW,
    updatedAt: NOW,
  };
}

const task = (taskId: string, service: string, team: string | undefined, nodeId: string | undefined, state: string) => ({
  taskId,
  service,
  team,
  slot: Number(taskId.split('.')[1]),
  version: 1,
  nodeId,
  desiredState: 'running',
  state,
  updatedAt: NOW,
  ...(state === 'pending'
    ? { pendingMessage: '1 node: insufficient memory', pendingReasons: [{ code: 'memory', nodes: 1, message: 'insufficient memory' }] }
    : {}),
});

/** Reads Server-Sent Events from a fetch body. */
class SseReader {
  readonly events: Array<{ id?: string; event?: string; data?: unknown }> = [];
  comments = 0;
  private buffer = '';
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void this.pump();
  }
  private async pump() {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) return;
        this.buffer += decoder.decode(value);
        let end;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const event: { id?: string; event?: string; data?: unknown } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments += 1;
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
          }
          if (event.event) this.events.push(event);
        }
      }
    } catch {
      // aborted
    }
  }
}

describe('api routes (real NATS; stand-ins at the NATS seam)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let dashboard: TempDir;
  let api: RunningService;
  let others: NatsConnectionService;
  let nc: NatsConnection;
  let base: string;
  const revoked = new Set<string>();
  const services = new Map<string, ServiceView>();
  const calls: Record<string, Array<Record<string, unknown>>> = { create: [], update: [], scale: [], verify: [], logs: [], control: [], execOpen: [], account: [], member: [] };
  const follows: string[] = [];
  const timers: NodeJS.Timeout[] = [];

  const as = (token: string, init: RequestInit = {}) => ({ ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const get = (path: string, token = 'admin-token') => fetch(`${base}${path}`, as(token));
  const send = (method: string, path: string, body: unknown, token = 'admin-token') => fetch(`${base}${path}`, as(token, { method, body: body === undefined ? undefined : JSON.stringify(body) }));

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir();
    dashboard = await makeTempDir();
    writeFileSync(join(dashboard.path, 'index.html'), '<!doctype html><title>Silo dashboard</title><div id="app"></div>');
    mkdirSync(join(dashboard.path, 'assets'));
    writeFileSync(join(dashboard.path, 'assets', 'app.js'), 'console.log("silo")');
    others = new NatsConnectionService({ url: nats.url, name: 'others', logger: quiet });
    nc = await others.ready();

    // registry: identity
    serve(
      nc,
      Subjects.authVerify,
      ({ authorization }) => {
        const token = /^Bearer (.+)$/.exec(String(authorization))?.[1] ?? '';
        if (token === 'expired-token') throw new SiloError('SESSION_EXPIRED', 'the session expired at 2026-11-28T00:00:00Z: log in again');
        const p = SESSIONS[token];
        if (!p || revoked.has(token)) throw new SiloError('UNAUTHORIZED', 'invalid credentials');
        return { principal: p };
      },
      calls['verify'],
    );
    serve(nc, Subjects.sessionCreate, ({ username, password }) => {
      if (username !== 'rita' || password !== 'correct horse') throw new SiloError('UNAUTHORIZED', 'wrong user name or password');
      return { token: 'red-token', expiresAt: '2026-11-29T12:00:00.000Z', principal: SESSIONS['red-token'] };
    });
    serve(nc, Subjects.sessionRevoke, ({ token }) => {
      revoked.add(String(token));
      return { revoked: 1 };
    });
    serve(nc, Subjects.repositoryList, () => ({
      repositories: [
        { name: 'red/app', public: false, tagCount: 1, manifestCount: 1, sizeBytes: 10 },
        { name: 'blue/lib', public: true, tagCount: 1, manifestCount: 1, sizeBytes: 20 },
        { name: 'blue/secret', public: false, tagCount: 1, manifestCount: 1, sizeBytes: 30 },
      ],
    }));
    serve(nc, Subjects.repositoryGet, ({ name }) => {
      if (name !== 'red/app') throw new SiloError('NAME_UNKNOWN', `repository ${String(name)} not known`);
      return { repository: { name, public: false, tagCount: 1, manifestCount: 1, sizeBytes: 10, tags: [{ tag: 'v1', digest: 'sha256:ab', mediaType: 'm', sizeBytes: 10, updatedAt: NOW }] } };
    });
    const teams = [
      { name: 'red', quotaBytes: null, usedBytes: 10, members: [{ account: 'rita', role: 'push' }], createdAt: NOW },
      { name: 'blue', quotaBytes: 1000, usedBytes: 50, members: [{ account: 'bob', role: 'push' }], createdAt: NOW },
    ];
    serve(nc, Subjects.teamList, () => ({ teams }));
    serve(nc, Subjects.teamGet, ({ name }) => {
      const team = teams.find((t) => t.name === name);
      if (!team) throw new SiloError('NOT_FOUND', `team ${String(name)} does not exist`);
      return { name: team.name, quotaBytes: team.quotaBytes, usedBytes: team.usedBytes };
    });
    serve(nc, Subjects.teamPut, ({ name, quotaBytes }) => ({ name, quotaBytes: quotaBytes ?? null, usedBytes: 0 }));
    serve(nc, Subjects.teamMemberSet, ({ team, account, role }) => ({ team, account, role }), calls['member']);
    serve(nc, Subjects.accountCreate, ({ name, kind }) => ({ name, kind, secret: 'shown-once' }), calls['account']);
    serve(nc, Subjects.accountList, ({ kind }) => ({
      accounts:
        kind === 'robot'
          ? [
              { name: 'red+ci', kind: 'robot', role: 'member', teams: [{ team: 'red', role: 'push' }], createdAt: NOW },
              { name: 'blue+ci', kind: 'robot', role: 'member', teams: [{ team: 'blue', role: 'push' }], createdAt: NOW },
            ]
          : [{ name: 'rita', kind: 'user', role: 'member', teams: [{ team: 'red', role: 'push' }], createdAt: NOW }],
    }));
    serve(nc, Subjects.storeUsage, () => ({ backend: 'filesystem', blobs: 7, bytes: 4096, uploads: 0, uploadBytes: 0 }));
    serve(nc, Subjects.manifestDelete, ({ name, reference }) => ({ name, deletedTags: [reference] }));

    // scheduler
    services.set('web', view({ name: 'web', image: 'red/app:v1', team: 'red', replicas: 2 } as ServiceSpec));
    services.set('api', view({ name: 'api', image: 'blue/api:v1', team: 'blue' } as ServiceSpec));
    services.set('batch', view({ name: 'batch', image: 'red/app:v1', team: 'red', mode: 'job' } as ServiceSpec));
    const tasks = [task('web.1.aa', 'web', 'red', 'n1', 'running'), task('web.2.bb', 'web', 'red', 'n1', 'running'), task('web.3.cc', 'web', 'red', undefined, 'pending'), task('api.1.dd', 'api', 'blue', 'n1', 'running')];
    const found = (name: unknown) => {
      const service = services.get(String(name));
      if (!service) throw new SiloError('NOT_FOUND', `no service ${String(name)}`);
      return service;
    };
    serve(nc, Subjects.serviceList, () => ({ services: [...services.values()] }));
    serve(nc, Subjects.serviceGet, ({ name }) => ({ service: found(name) }));
    serve(
      nc,
      Subjects.serviceCreate,
      ({ spec }) => {
        const created = view(spec as ServiceSpec);
        services.set(created.name, created);
        return { service: created };
      },
      calls['create'],
    );
    serve(
      nc,
      Subjects.serviceUpdate,
      ({ name, spec }) => {
        const next = view(spec as ServiceSpec, found(name).version + 1);
        services.set(next.name, next);
        return { service: next };
      },
      calls['update'],
    );
    serve(nc, Subjects.serviceScale, ({ name, replicas }) => ({ service: { ...found(name), desired: replicas } }), calls['scale']);
    serve(nc, Subjects.serviceTasks, ({ name }) => ({ name, tasks: tasks.filter((t) => t.service === found(name).name).map(({ service: _s, team: _t, ...rest }) => rest) }));
    serve(nc, Subjects.taskList, ({ taskId, nodeId, service }) => ({
      tasks: tasks.filter((t) => (!taskId || t.taskId === taskId) && (!nodeId || t.nodeId === nodeId) && (!service || t.service === service)),
    }));
    const node = {
      nodeId: 'n1',
      hostname: 'host-1',
      state: 'ready',
      availability: 'active',
      labels: {} as Record<string, string>,
      capacity: { cpuMillis: 4000, memoryBytes: 8e9, pids: 10000 },
      allocatable: { cpuMillis: 4000, memoryBytes: 8e9, pids: 10000 },
      allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 },
      tasks: 4,
      runningTasks: 3,
    };
    serve(nc, Subjects.nodeUpdate, ({ nodeId, availability, labelsAdd }) => {
      node.availability = String(availability ?? node.availability);
      node.labels = { ...node.labels, ...(labelsAdd as Record<string, string>) };
      return { nodeId, availability: node.availability, labels: node.labels };
    });
    serve(nc, Subjects.nodeStatus, ({ nodeId }) => {
      if (nodeId && nodeId !== 'n1') throw new SiloError('NOT_FOUND', `no node ${String(nodeId)}`);
      return { nodes: [node] };
    });

    // the agent of n1
    let cpu = 0;
    serve(nc, Subjects.agentStats('n1'), () => {
      cpu += 50_000_000;
      return { tasks: [{ taskId: 'web.1.aa', cpuUsageNs: cpu, memoryBytes: 1000, memoryLimitBytes: -1, pids: 3, pidsLimit: 100 }, { taskId: 'api.1.dd', cpuUsageNs: 0, memoryBytes: 500, memoryLimitBytes: -1, pids: 1, pidsLimit: 100 }] };
    });
    serve(
      nc,
      Subjects.agentLogs('n1'),
      ({ taskId, followSubject, since }) => {
        const lines = [{ time: taskId === 'web.1.aa' ? '2026-11-28T10:00:01Z' : '2026-11-28T10:00:02Z', stream: 'stdout', text: `first of ${String(taskId)}` }];
        if (typeof followSubject === 'string') {
          follows.push(followSubject);
          if (taskId !== 'web.1.aa') {
            // a quiet task whose first follow ends soon (followMs over): the api asks again from its last line
            if (since !== undefined) return { taskId, lines: [{ time: '2026-11-28T10:00:03Z', stream: 'stdout', text: `renewed since ${String(since)}` }] };
            timers.push(setTimeout(() => nc.publish(followSubject, encoder.encode(JSON.stringify({ pattern: followSubject, data: { taskId, lines: [], end: true } }))), 100));
            return { taskId, lines };
          }
          let n = 0;
          const timer = setInterval(() => {
            n += 1;
            nc.publish(followSubject, encoder.encode(JSON.stringify({ pattern: followSubject, data: { taskId, lines: [{ time: new Date().toISOString(), stream: 'stderr', text: `later ${n}` }] } })));
            if (n >= 100) clearInterval(timer);
          }, 50);
          timers.push(timer);
        }
        return { taskId, lines };
      },
      calls['logs'],
    );
    serve(
      nc,
      Subjects.agentExecOpen('n1'),
      ({ outputSubject, tty }) => {
        const stdin = `${String(outputSubject)}.stdin`;
        const control = `${String(outputSubject)}.control`;
        const out = (stream: string, data: Uint8Array) => {
          const h = natsHeaders();
          h.set(EXEC_STREAM_HEADER, stream);
          nc.publish(String(outputSubject), data, { headers: h });
        };
        nc.subscribe(stdin, {
          callback: (_e, msg) => {
            if (msg.headers?.get(EXEC_STDIN_HEADER) === 'eof') {
              out('stderr', encoder.encode('bye'));
              out('exit', encoder.encode(JSON.stringify({ exitCode: 3 })));
              return;
            }
            out('stdout', encoder.encode(decoder.decode(msg.data).toUpperCase()));
          },
        });
        nc.subscribe(control, { callback: (_e, msg) => calls['control']!.push(JSON.parse(decoder.decode(msg.data)) as Record<string, unknown>) });
        return { sessionId: `s-${String(tty)}`, stdinSubject: stdin, controlSubject: control };
      },
      calls['execOpen'],
    );
    await nc.flush();

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await bootstrapService({
      service: 'api',
      configClass: ApiConfig,
      module: (config) => ApiModule.forRoot(config),
      httpPort: (config) => config.port,
      env: {
        SILO_HOME: home.path,
        SILO_NATS_URL: nats.url,
        SILO_LOG_LEVEL: 'fatal',
        SILO_API_PORT: String(port),
        SILO_BIND_HOST: '127.0.0.1',
        SILO_NATS_TIMEOUT_MS: '2000',
        SILO_API_KEEPALIVE_MS: '200',
        SILO_API_TOP_SAMPLE_MS: '100',
        SILO_DASHBOARD_DIR: dashboard.path,
        SILO_REGISTRY_ADDRESS: 'registry.test:5123',
      },
    });
    await api.app.get(NatsConnectionService).ready();
  });

  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    await api?.stop();
    await others?.close();
    await nats?.stop();
    await home?.cleanup();
    await dashboard?.cleanup();
  });

  describe('authentication', () => {
    it('answers 401 with a Bearer challenge without credentials, and for unknown ones', async () => {
      for (const res of [await fetch(`${base}/api/v1/nodes`), await get('/api/v1/nodes', 'nope')]) {
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="silo"');
        expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      }
    });

    it('answers 401 SESSION_EXPIRED for an expired session', async () => {
      const res = await get('/api/v1/nodes', 'expired-token');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="silo"');
      expect(await res.json()).toMatchObject({ code: 'SESSION_EXPIRED', message: expect.stringContaining('log in again') });
    });

    it('needs no credentials for health, login, the docs and the dashboard', async () => {
      expect(await (await fetch(`${base}/api/v1/health`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${base}/api/docs-json`)).status).toBe(200);
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('logs in, tells who is there, and logs out (revocation takes effect at once)', async () => {
      const bad = await send('POST', '/api/v1/auth/login', { username: 'rita', password: 'wrong' }, '');
      expect(bad.status).toBe(401);
      const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rita', password: 'correct horse' }) });
      expect(login.status).toBe(200);
      const { token, registry } = (await login.json()) as { token: string; registry: string };
      // where `silo image push` goes after `silo login`
      expect(registry).toBe('registry.test:5123');
      const who = await get('/api/v1/auth/whoami', token);
      expect(await who.json()).toEqual({ principal: SESSIONS['red-token'] });
      SESSIONS['temp-token'] = SESSIONS['red-token']!;
      expect((await get('/api/v1/auth/whoami', 'temp-token')).status).toBe(200);
      const out = await send('POST', '/api/v1/auth/logout', undefined, 'temp-token');
      expect(await out.json()).toEqual({ revoked: 1 });
      expect((await get('/api/v1/auth/whoami', 'temp-token')).status).toBe(401);
    });

    it('asks the registry on every request (no cache across requests)', async () => {
      const before = calls['verify']!.length;
      await get('/api/v1/auth/whoami');
      await get('/api/v1/auth/whoami');
      expect(calls['verify']!.length - before).toBe(2);
    });
  });

  describe('authorization', () => {
    it('denies a member another team’s service (403, saying which role), allows their own', async () => {
      const read = await get('/api/v1/services/api', 'red-token');
      expect(read.status).toBe(403);
      expect(await read.json()).toMatchObject({ code: 'DENIED', message: expect.stringContaining('team "blue"') });
      const scale = await send('POST', '/api/v1/services/api/scale', { replicas: 3 }, 'red-token');
      expect(scale.status).toBe(403);
      expect(((await scale.json()) as { message: string }).message).toContain('team role push, delete or admin in "blue" is needed');
      expect(calls['scale']!.some((c) => c['name'] === 'api')).toBe(false);
      const own = await send('POST', '/api/v1/services/web/scale', { replicas: 3 }, 'red-token');
      expect(own.status).toBe(200);
      expect(((await own.json()) as { service: ServiceView }).service.desired).toBe(3);
    });

    it('lists only the member’s teams’ services; pull is read-only', async () => {
      const list = (await (await get('/api/v1/services', 'red-token')).json()) as { services: ServiceView[] };
      expect(list.services.map((s) => s.name)).toEqual(['web']);
      const all = (await (await get('/api/v1/services?all=true', 'admin-token')).json()) as { services: ServiceView[] };
      expect(all.services.map((s) => s.name).sort()).toEqual(['api', 'batch', 'web']);
      const jobs = (await (await get('/api/v1/jobs', 'red-token')).json()) as { services: ServiceView[] };
      expect(jobs.services.map((s) => s.name)).toEqual(['batch']);
      expect((await get('/api/v1/services/web', 'red-pull-token')).status).toBe(200);
      expect((await send('POST', '/api/v1/services/web/rollback', undefined, 'red-pull-token')).status).toBe(403);
    });

    it('denies viewers every write, allows every read', async () => {
      expect((await get('/api/v1/services/api', 'viewer-token')).status).toBe(200);
      const res = await send('POST', '/api/v1/services/web/scale', { replicas: 1 }, 'viewer-token');
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toContain('read-only');
      expect((await send('DELETE', '/api/v1/services/web', undefined, 'viewer-token')).status).toBe(403);
      expect((await send('PATCH', '/api/v1/nodes/n1', { availability: 'drain' }, 'viewer-token')).status).toBe(403);
      expect((await send('POST', '/api/v1/users', { name: 'someone' }, 'viewer-token')).status).toBe(403);
    });

    it('gives a member’s new service their only writable team', async () => {
      const res = await send('POST', '/api/v1/services', { name: 'cache', image: 'red/cache:1' }, 'red-token');
      expect(res.status).toBe(201);
      expect(calls['create']!.at(-1)).toMatchObject({ spec: { name: 'cache', team: 'red' } });
      const other = await send('POST', '/api/v1/services', { name: 'x', image: 'x', team: 'blue' }, 'red-token');
      expect(other.status).toBe(403);
      const job = await send('POST', '/api/v1/jobs', { name: 'once', image: 'red/app:v1' }, 'red-token');
      expect(job.status).toBe(201);
      expect(calls['create']!.at(-1)).toMatchObject({ spec: { name: 'once', mode: 'job', team: 'red' } });
    });

    it('filters repositories: own team’s and public ones', async () => {
      const res = (await (await get('/api/v1/images', 'red-token')).json()) as { repositories: Array<{ name: string }> };
      expect(res.repositories.map((r) => r.name)).toEqual(['red/app', 'blue/lib']);
      expect((await get('/api/v1/images/red/app', 'red-token')).status).toBe(200);
      expect((await get('/api/v1/images/red%2Fapp', 'red-token')).status).toBe(200);
      expect((await send('DELETE', '/api/v1/images/red/app/manifests/v1', undefined, 'red-token')).status).toBe(403);
      const del = await send('DELETE', '/api/v1/images/red/app/manifests/v1', undefined, 'admin-token');
      expect(await del.json()).toEqual({ name: 'red/app', deletedTags: ['v1'] });
    });
  });

  describe('accounts', () => {
    it('lets admins manage users; members may not', async () => {
      const created = await send('POST', '/api/v1/users', { name: 'newbie', role: 'viewer' });
      expect(created.status).toBe(201);
      expect(await created.json()).toEqual({ name: 'newbie', kind: 'user', secret: 'shown-once' });
      expect(calls['account']!.at(-1)).toEqual({ name: 'newbie', kind: 'user', accountRole: 'viewer' });
      expect((await get('/api/v1/users', 'red-token')).status).toBe(403);
      const bad = await send('POST', '/api/v1/users', { name: 'X', role: 'god', password: 'short' });
      expect(((await bad.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['name', 'password', 'role']);
    });

    it('shows members their own teams; POST refuses an existing team', async () => {
      const mine = (await (await get('/api/v1/teams', 'red-token')).json()) as { teams: Array<{ name: string }> };
      expect(mine.teams.map((t) => t.name)).toEqual(['red']);
      expect((await send('POST', '/api/v1/teams', { name: 'red' })).status).toBe(409);
      expect((await send('POST', '/api/v1/teams', { name: 'green', quotaBytes: 100 })).status).toBe(201);
      expect((await send('PATCH', '/api/v1/teams/purple', { quotaBytes: null })).status).toBe(404);
    });

    it('lets a team admin manage its members and robot tokens, not another team’s', async () => {
      expect((await send('PUT', '/api/v1/teams/red/members/paul', { role: 'push' }, 'red-admin-token')).status).toBe(200);
      expect(calls['member']!.at(-1)).toEqual({ team: 'red', account: 'paul', role: 'push' });
      expect((await send('PUT', '/api/v1/teams/blue/members/paul', { role: 'push' }, 'red-admin-token')).status).toBe(403);
      const token = await send('POST', '/api/v1/tokens', { name: 'deploy', team: 'red', role: 'push' }, 'red-admin-token');
      expect(token.status).toBe(201);
      expect(calls['account']!.at(-1)).toEqual({ name: 'red+deploy', kind: 'robot', team: 'red', role: 'push' });
      const list = (await (await get('/api/v1/tokens', 'red-admin-token')).json()) as { accounts: Array<{ name: string }> };
      expect(list.accounts.map((a) => a.name)).toEqual(['red+ci']);
      expect((await get('/api/v1/tokens', 'red-token')).status).toBe(403);
      expect((await send('DELETE', '/api/v1/tokens/blue+ci', undefined, 'red-admin-token')).status).toBe(403);
    });

    it('reports registry usage (members: their teams’ rows)', async () => {
      const usage = await (await get('/api/v1/registry/usage', 'red-token')).json();
      expect(usage).toEqual({ totalBytes: 4096, blobs: 7, teams: [{ name: 'red', quotaBytes: null, usedBytes: 10 }] });
      expect((await send('POST', '/api/v1/registry/gc?dryRun=true', undefined, 'red-admin-token')).status).toBe(403);
    });
  });

  describe('validation and errors', () => {
    it('lists every problem of a service spec', async () => {
      const res = await send('POST', '/api/v1/services', { name: 'Bad_Name', image: 'x', replicas: -1, bogus: true });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: Array<{ path: string; problems: string[] }> };
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.details.map((d) => d.path).sort()).toEqual(['bogus', 'name', 'replicas']);
    });

    it('answers malformed JSON with 400 VALIDATION_FAILED', async () => {
      const res = await fetch(`${base}/api/v1/services`, { method: 'POST', headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' }, body: '{"name": "web",' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('not valid JSON') });
    });

    it('answers unknown API routes with 404 NOT_FOUND as JSON', async () => {
      const res = await get('/api/v1/nothing-here');
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
      const missing = await get('/api/v1/services/ghost');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no service ghost' });
    });

    it('replaces a spec with PUT, keeping the team, and refuses a rename', async () => {
      const res = await send('PUT', '/api/v1/services/web', { name: 'web', image: 'red/app:v2' }, 'red-token');
      expect(res.status).toBe(200);
      expect(calls['update']!.at(-1)).toEqual({ name: 'web', spec: { name: 'web', image: 'red/app:v2', team: 'red' } });
      expect((await send('PUT', '/api/v1/services/web', { name: 'other', image: 'x' }, 'red-token')).status).toBe(400);
      expect((await send('PUT', '/api/v1/services/web', { name: 'web', image: 'x', team: 'blue' }, 'red-token')).status).toBe(403);
    });

    it('merges a PATCH into the current spec and validates the result', async () => {
      const res = await send('PATCH', '/api/v1/services/web', { env: { A: '1' }, replicas: 4 }, 'red-token');
      expect(res.status).toBe(200);
      expect(calls['update']!.at(-1)).toEqual({ name: 'web', spec: { name: 'web', image: 'red/app:v2', team: 'red', replicas: 4, env: { A: '1' } } });
      const bad = await send('PATCH', '/api/v1/services/web', { replicas: -2, image: null }, 'red-token');
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { details: Array<{ path: string }> };
      expect(body.details.map((d) => d.path).sort()).toEqual(['image', 'replicas']);
    });
  });

  describe('cluster', () => {
    it('lets admins change a node', async () => {
      const res = await send('PATCH', '/api/v1/nodes/n1', { availability: 'drain', labelsAdd: { zone: 'eu' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { node: { availability: string; labels: object } }).node).toMatchObject({ availability: 'drain', labels: { zone: 'eu' } });
      expect((await send('PATCH', '/api/v1/nodes/n1', { availability: 'sideways' })).status).toBe(400);
      expect((await send('PATCH', '/api/v1/nodes/n1', { availability: 'active' }, 'red-token')).status).toBe(403);
      await send('PATCH', '/api/v1/nodes/n1', { availability: 'active' });
    });

    it('shows nodes, a node with its visible tasks, why-pending and top', async () => {
      expect(((await (await get('/api/v1/nodes', 'blue-token')).json()) as { nodes: unknown[] }).nodes).toHaveLength(1);
      const detail = (await (await get('/api/v1/nodes/n1', 'blue-token')).json()) as { tasks: Array<{ taskId: string }> };
      expect(detail.tasks.map((t) => t.taskId)).toEqual(['api.1.dd']);
      const pending = await (await get('/api/v1/services/web/pending', 'red-token')).json();
      expect(pending).toEqual({ name: 'web', pending: [{ taskId: 'web.3.cc', slot: 3, message: '1 node: insufficient memory', reasons: [{ code: 'memory', nodes: 1, message: 'insufficient memory' }] }] });
      const top = (await (await get('/api/v1/top', 'red-token')).json()) as { nodes: Array<{ cpuMillis: number; tasks: number }>; services: Array<{ name: string; cpuPercent: number; pids: number }> };
      expect(top.nodes[0]).toMatchObject({ tasks: 2, memoryBytes: 1500 });
      expect(top.services.map((s) => s.name)).toEqual(['web']);
      // 50 ms of CPU between samples about 100 ms apart: roughly half a CPU
      expect(top.services[0]!.cpuPercent).toBeGreaterThan(10);
      expect(top.services[0]!.cpuPercent).toBeLessThan(60);
    });
  });

  describe('logs', () => {
    it('answers NDJSON of every task of a service, tagged with the task', async () => {
      const res = await get('/api/v1/services/web/logs?tail=10', 'red-token');
      expect(res.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        { task: 'web.1.aa', time: '2026-11-28T10:00:01Z', stream: 'stdout', text: 'first of web.1.aa' },
        { task: 'web.2.bb', time: '2026-11-28T10:00:02Z', stream: 'stdout', text: 'first of web.2.bb' },
      ]);
      expect(calls['logs']!.at(-1)).toMatchObject({ tail: 10 });
      expect((await get('/api/v1/tasks/api.1.dd/logs', 'red-token')).status).toBe(403);
      expect((await get('/api/v1/tasks/web.1.aa/logs?tail=x', 'red-token')).status).toBe(400);
    });

    it('follows until the client disconnects, then stops listening', async () => {
      const controller = new AbortController();
      const res = await fetch(`${base}/api/v1/tasks/web.1.aa/logs?follow=true`, { ...as('red-token'), signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = '';
      await waitFor(async () => {
        const { value } = await reader.read();
        text += decoder.decode(value);
        return text.includes('later 2');
      });
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ task: 'web.1.aa', text: 'first of web.1.aa' });
      expect(lines[1]).toMatchObject({ task: 'web.1.aa', stream: 'stderr', text: 'later 1' });
      const inbox = follows.at(-1)!;
      expect(api.app.get(LogsService).openStreams).toBe(1);
      controller.abort();
      await waitFor(() => api.app.get(LogsService).openStreams === 0);
      // Nobody listens on the follow inbox any more: a request there finds no responders.
      await waitFor(async () => {
        try {
          await nc.request(inbox, new Uint8Array(0), { timeout: 300 });
          return false;
        } catch (err) {
          return err instanceof NatsError && err.code === '503';
        }
      });
    });
  });

  it('keeps an idle followed stream alive with keepalive lines, renewing the agent\'s follow when it ends', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/tasks/web.2.bb/logs?follow=1`, { ...as('red-token'), signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      text += decoder.decode(value);
      return text.includes('{"keepalive":true}');
    });
    expect(text.split('\n')[0]).toBe('{"task":"web.2.bb","time":"2026-11-28T10:00:02Z","stream":"stdout","text":"first of web.2.bb"}');
    // the agent's follow ended (its followMs): the stream stayed open and the api asked again from the last line
    expect(text).toContain('"text":"renewed since 2026-11-28T10:00:02Z"');
    controller.abort();
  });

  describe('events', () => {
    async function connect(token: string, types?: string) {
      const controller = new AbortController();
      const res = await fetch(`${base}/api/v1/events?access_token=${token}${types ? `&types=${types}` : ''}`, { signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      return { sse: new SseReader(res.body!.getReader()), close: () => controller.abort() };
    }
    const publish = (subject: string, data: object) => nc.publish(subject, encoder.encode(JSON.stringify({ pattern: subject, data })));

    it('delivers node and task events, filtered per principal, with ids and keepalives', async () => {
      const red = await connect('red-token');
      const admin = await connect('admin-token');
      const nodesOnly = await connect('admin-token', 'node');
      publish(Subjects.nodeStateEvent, { nodeId: 'n1', state: 'exploded', hostname: 'h1' }); // breaks its contract: dropped
      publish(Subjects.nodeStateEvent, { nodeId: 'n1', state: 'down', hostname: 'h1' });
      publish(Subjects.taskStateEvent, { nodeId: 'n1', taskId: 'api.1.dd', state: 'running', at: NOW, restarts: 0 });
      publish(Subjects.taskStateEvent, { nodeId: 'n1', taskId: 'web.1.aa', state: 'exited', exitCode: 1, at: NOW, restarts: 0 });
      await waitFor(() => admin.sse.events.length >= 3 && red.sse.events.length >= 2 && admin.sse.comments >= 2);
      expect(red.sse.events).toEqual([
        { id: '1', event: 'node', data: { nodeId: 'n1', state: 'down', hostname: 'h1' } },
        { id: '2', event: 'task', data: { taskId: 'web.1.aa', service: 'web', nodeId: 'n1', state: 'exited', exitCode: 1 } },
      ]);
      expect(admin.sse.events.map((e) => [e.id, e.event, (e.data as { taskId?: string }).taskId])).toEqual([
        ['1', 'node', undefined],
        ['2', 'task', 'api.1.dd'],
        ['3', 'task', 'web.1.aa'],
      ]);
      expect(nodesOnly.sse.events.map((e) => e.event)).toEqual(['node']);
      const events = api.app.get(EventsService);
      expect(events.openStreams).toBe(3);
      red.close();
      admin.close();
      nodesOnly.close();
      // Their NATS subscriptions end with them.
      await waitFor(() => events.openStreams === 0);
    });

    it("delivers registry events to a member for its team's repositories and for other teams' public ones", async () => {
      const red = await connect('red-token', 'push,delete');
      const pushed = { digest: `sha256:${'a'.repeat(64)}`, size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
      publish(Subjects.registryPushedEvent, { repository: 'blue/private', tag: 'v1', ...pushed, public: false });
      publish(Subjects.registryPushedEvent, { repository: 'blue/shared', tag: 'v1', ...pushed, public: true });
      publish(Subjects.registryPushedEvent, { repository: 'red/app', tag: 'v2', ...pushed, public: false });
      publish(Subjects.registryDeletedEvent, { repository: 'blue/shared', tags: ['v1'], public: true });
      await waitFor(() => red.sse.events.length >= 3);
      expect(red.sse.events.map((e) => [e.event, (e.data as { repository: string }).repository])).toEqual([
        ['push', 'blue/shared'],
        ['push', 'red/app'],
        ['delete', 'blue/shared'],
      ]);
      red.close();
    });

    it('refuses the stream without a valid token', async () => {
      const res = await fetch(`${base}/api/v1/events?access_token=nope`);
      expect(res.status).toBe(401);
      expect((await fetch(`${base}/api/v1/events?types=bogus`, as('admin-token'))).status).toBe(400);
    });
  });

  describe('exec', () => {
    it('runs a one-shot command through the agent (write access needed)', async () => {
      serve(nc, Subjects.agentExec('n1'), ({ command }) => ({ exitCode: 0, stdout: (command as string[]).join(' '), stderr: '', timedOut: false }));
      await nc.flush();
      const res = await send('POST', '/api/v1/tasks/web.1.aa/exec', { command: ['echo', 'hi'] }, 'red-token');
      expect(await res.json()).toEqual({ exitCode: 0, stdout: 'echo hi', stderr: '', timedOut: false });
      expect((await send('POST', '/api/v1/tasks/web.1.aa/exec', { command: ['echo'] }, 'red-pull-token')).status).toBe(403);
    });

    it('bridges a WebSocket to the agent’s session: stdin, prefixed output, resize, eof, exit', async () => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/tasks/web.1.aa/exec/ws?command=sh&command=-c&command=cat&cols=80&rows=24`, {
        headers: { authorization: 'Bearer red-token' },
      });
      const frames: Array<Buffer | string> = [];
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (data, isBinary) => frames.push(isBinary ? Buffer.from(data as Buffer) : (data as Buffer).toString('utf8')));
      await new Promise((resolve, reject) => {
        ws.on('open', resolve);
        ws.on('error', reject);
      });
      ws.send(Buffer.from('hello'), { binary: true });
      ws.send(JSON.stringify({ resize: { cols: 100, rows: 30 } }));
      await waitFor(() => frames.length >= 1);
      ws.send(JSON.stringify({ eof: true }));
      expect(await closed).toBe(1000);
      expect(frames).toEqual([Buffer.from([1, ...Buffer.from('HELLO')]), Buffer.from([2, ...Buffer.from('bye')]), '{"exit":3}']);
      expect(calls['execOpen']!.at(-1)).toMatchObject({ taskId: 'web.1.aa', command: ['sh', '-c', 'cat'], tty: false, cols: 80, rows: 24 });
      expect(calls['control']).toContainEqual({ resize: { cols: 100, rows: 30 } });
    });

    it('acknowledges output to the agent as the client takes it (flow control, a quarter window at a time)', async () => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/tasks/web.1.aa/exec/ws?command=cat&tty=1&access_token=red-token`);
      let received = 0;
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (data, isBinary) => (received += isBinary ? (data as Buffer).length : 0));
      await new Promise((resolve) => ws.on('open', resolve));
      expect(calls['execOpen']!.at(-1)).toMatchObject({ windowBytes: 1024 * 1024 });
      const before = calls['control']!.length;
      ws.send(Buffer.alloc(300 * 1024, 'a'), { binary: true }); // echoed back upper-cased: 300 KiB of output
      await waitFor(() => received >= 300 * 1024);
      await waitFor(() => calls['control']!.slice(before).some((c) => 'ack' in c));
      const acks = calls['control']!.slice(before).filter((c) => 'ack' in c);
      expect(acks).toEqual([{ ack: expect.any(Number) }]);
      expect(acks[0]!['ack']).toBeGreaterThanOrEqual(256 * 1024);
      expect(acks[0]!['ack']).toBeLessThanOrEqual(300 * 1024);
      ws.send(JSON.stringify({ eof: true }));
      expect(await closed).toBe(1000);
    });

    it('sends output unprefixed with a TTY', async () => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/tasks/web.1.aa/exec/ws?command=sh&tty=1&access_token=red-token`);
      const frames: Array<Buffer | string> = [];
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (data, isBinary) => frames.push(isBinary ? Buffer.from(data as Buffer) : (data as Buffer).toString('utf8')));
      await new Promise((resolve) => ws.on('open', resolve));
      ws.send(Buffer.from('abc'), { binary: true });
      await waitFor(() => frames.length >= 1);
      ws.send(JSON.stringify({ eof: true }));
      expect(await closed).toBe(1000);
      expect(frames).toEqual([Buffer.from('ABC'), Buffer.from('bye'), '{"exit":3}']);
      expect(calls['execOpen']!.at(-1)).toMatchObject({ tty: true });
    });

    it('refuses the upgrade without credentials or rights, as HTTP errors', async () => {
      const status = (url: string, headers: Record<string, string> = {}) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url, { headers });
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => resolve(101));
          ws.on('error', () => undefined);
        });
      const url = `${base.replace('http', 'ws')}/api/v1/tasks/web.1.aa/exec/ws?command=sh`;
      expect(await status(url)).toBe(401);
      expect(await status(url, { authorization: 'Bearer blue-token' })).toBe(403);
      expect(await status(`${base.replace('http', 'ws')}/api/v1/tasks/web.1.aa/exec/ws`, { authorization: 'Bearer red-token' })).toBe(400);
    });
  });

  describe('OpenAPI document', () => {
    it('lists every route of API.md, with schemas from the contracts', async () => {
      const doc = (await (await fetch(`${base}/api/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      const expected = [
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'GET /api/v1/auth/whoami',
        'GET /api/v1/health',
        'GET /api/v1/status',
        'GET /api/v1/nodes',
        'GET /api/v1/nodes/{id}',
        'PATCH /api/v1/nodes/{id}',
        'POST /api/v1/nodes/join-tokens',
        'GET /api/v1/nodes/join-tokens',
        'DELETE /api/v1/nodes/join-tokens/{id}',
        'GET /api/v1/top',
        'GET /api/v1/services',
        'POST /api/v1/services',
        'GET /api/v1/services/{name}',
        'PUT /api/v1/services/{name}',
        'PATCH /api/v1/services/{name}',
        'POST /api/v1/services/{name}/scale',
        'POST /api/v1/services/{name}/rollback',
        'DELETE /api/v1/services/{name}',
        'GET /api/v1/services/{name}/tasks',
        'GET /api/v1/services/{name}/pending',
        'GET /api/v1/services/{name}/logs',
        'GET /api/v1/jobs',
        'POST /api/v1/jobs',
        'GET /api/v1/jobs/{name}',
        'GET /api/v1/tasks',
        'GET /api/v1/tasks/{id}',
        'GET /api/v1/tasks/{id}/logs',
        'POST /api/v1/tasks/{id}/exec',
        'GET /api/v1/tasks/{id}/exec/ws',
        'GET /api/v1/images',
        'GET /api/v1/images/{name}',
        'GET /api/v1/images/{name}/manifests/{reference}',
        'DELETE /api/v1/images/{name}/manifests/{reference}',
        'DELETE /api/v1/images/{name}',
        'PUT /api/v1/images/{name}/visibility',
        'POST /api/v1/registry/gc',
        'GET /api/v1/registry/usage',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'DELETE /api/v1/users/{name}',
        'PATCH /api/v1/users/{name}',
        'GET /api/v1/teams',
        'POST /api/v1/teams',
        'PATCH /api/v1/teams/{name}',
        'DELETE /api/v1/teams/{name}',
        'PUT /api/v1/teams/{name}/members/{account}',
        'GET /api/v1/tokens',
        'POST /api/v1/tokens',
        'DELETE /api/v1/tokens/{name}',
        'GET /api/v1/events',
      ];
      const missing = expected.filter((r) => !routes.includes(r));
      expect(missing).toEqual([]);
      const spec = doc.components.schemas['ServiceSpec'] as { properties: Record<string, unknown> };
      expect(Object.keys(spec.properties)).toEqual(expect.arrayContaining(['name', 'image', 'replicas', 'team']));
      expect(doc.paths['/api/v1/services']!['post']).toMatchObject({ requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ServiceSpec' } } } } });
      const html = await (await fetch(`${base}/api/docs`)).text();
      expect(html).toContain('swagger-ui');
    });
  });

  describe('dashboard', () => {
    it('serves the build directory, with index.html for the app’s own paths', async () => {
      const index = await fetch(`${base}/`);
      expect(await index.text()).toContain('Silo dashboard');
      const js = await fetch(`${base}/assets/app.js`);
      expect(js.headers.get('content-type')).toContain('javascript');
      const deep = await fetch(`${base}/services/web`);
      expect(deep.status).toBe(200);
      expect(await deep.text()).toContain('Silo dashboard');
      const api = await fetch(`${base}/api/v1/unknown`);
      expect(api.status).toBe(404);
      expect(await api.json()).toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
