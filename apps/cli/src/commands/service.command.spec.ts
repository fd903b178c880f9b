import type { ServiceTask, ServiceView } from '@silo/contracts';
import { makeTempDir, TempDir } from '@silo/testing';
import { parse as parseYaml } from 'yaml';
import { FakeServer, fakeTerminal, json, runCli, startFakeServer } from '../testing/fake-api';
import { localPlatformEnv } from '../testing/local-platform';

function view(over: Partial<ServiceView> = {}): ServiceView {
  return {
    id: 'svc-1',
    name: 'web',
    mode: 'replicated',
    version: 1,
    spec: { name: 'web', image: 'team/web:1', replicas: 2 },
    desired: 2,
    running: 0,
    rollout: 'updating',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

function task(slot: number, state: string, over: Partial<ServiceTask> = {}): ServiceTask {
  return { taskId: `web.${slot}.abc${slot}`, slot, version: 1, desiredState: 'running', state, updatedAt: new Date().toISOString(), ...(state !== 'pending' ? { nodeId: 'node-1' } : {}), ...over };
}

describe('silo service (against a stand-in api)', () => {
  let dir: TempDir;
  let api: FakeServer;
  let env: Record<string, string>;
  /** The scheduler's answers over time: each poll takes the next state (the last one stays). */
  let states: Array<{ service: ServiceView; tasks: ServiceTask[] }>;
  let polls: number;

  beforeAll(async () => {
    api = await startFakeServer();
    dir = await makeTempDir();
    env = localPlatformEnv(dir.path, api.url);
  });
  afterAll(async () => {
    await api.close();
    await dir.cleanup();
  });

  beforeEach(() => {
    api.reset();
    polls = 0;
    const current = () => states[Math.min(polls, states.length - 1)]!;
    api.route('GET /api/v1/services/web', (_req, res) => json(res, 200, { service: current().service }));
    api.route('GET /api/v1/services/web/tasks', (_req, res) => {
      const state = current();
      polls++;
      json(res, 200, { name: 'web', tasks: state.tasks });
    });
    api.route('POST /api/v1/services', (req, res) => json(res, 201, { service: view({ spec: req.json as ServiceView['spec'] }) }));
  });

  it('create sends the spec, follows "n/m running" with pending reasons, and exits 0 when converged', async () => {
    states = [
      { service: view(), tasks: [task(1, 'pending', { pendingMessage: '1 node: insufficient memory' }), task(2, 'pulling')] },
      { service: view({ running: 1 }), tasks: [task(1, 'pending', { pendingMessage: '1 node: insufficient memory' }), task(2, 'running')] },
      { service: view({ running: 2, rollout: 'completed' }), tasks: [task(1, 'running'), task(2, 'running')] },
    ];
    const io = await runCli(['service', 'create', '--name', 'web', '--replicas', '2', '-p', '8080:80', '-e', 'K=V', '--cpus', '0.5', '--memory', '64Mi', '--constraint', 'node.labels.zone==eu', 'team/web:1', 'httpd', '-f'], env, dir.path);
    expect(io.stderr).toContain('web: created (version 1)');
    expect(io.code).toBe(0);
    const create = api.seen.find((s) => s.method === 'POST')!;
    expect(create.json).toEqual({
      name: 'web',
      image: 'team/web:1',
      replicas: 2,
      args: ['httpd', '-f'],
      env: { K: 'V' },
      ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      resources: { cpuLimitMillis: 500, memoryLimitBytes: 67108864 },
      constraints: ['node.labels.zone==eu'],
    });
    // Plain (not a TTY): one line per change.
    expect(io.stderr).toContain('web: 0/2 running (version 1, updating)');
    expect(io.stderr).toMatch(/1\s+-\s+pending — 1 node: insufficient memory/);
    expect(io.stderr).toContain('web: 1/2 running (version 1, updating)');
    expect(io.stderr).toContain('web: 2/2 running (version 1, completed)');
    expect(io.stderr).toContain('web: converged');
    expect(io.stderr.match(/1 node: insufficient memory/g)).toHaveLength(1);
  });

  it('draws a live block in place on a terminal', async () => {
    states = [
      { service: view(), tasks: [task(1, 'starting'), task(2, 'starting')] },
      { service: view({ running: 2, rollout: 'completed' }), tasks: [task(1, 'running'), task(2, 'running')] },
    ];
    const io = await runCli(['service', 'create', '--name', 'web', 'team/web:1'], env, dir.path, fakeTerminal({ tty: true }));
    expect(io.code).toBe(0);
    expect(io.stderr).toContain('\x1b[3A\r\x1b[J');
  });

  it('exits 2 with the reason when the rollout pauses (failed to converge)', async () => {
    states = [
      { service: view({ version: 2 }), tasks: [task(1, 'running', { version: 2 }), task(2, 'failed', { version: 2, exitCode: 1, reason: 'exited with 1' })] },
      { service: view({ version: 2, running: 1, rollout: 'paused', rolloutMessage: 'task web.2 failed: exited with 1' }), tasks: [task(1, 'running', { version: 2 })] },
    ];
    api.route('PATCH /api/v1/services/web', (_req, res) => json(res, 200, { service: view({ version: 2 }) }));
    const io = await runCli(['service', 'update', 'web', '--image', 'team/web:2', '--env-add', 'X=1'], env, dir.path);
    expect(io.code).toBe(2);
    expect(io.stderr).toContain('silo: web failed to converge: rollout paused: task web.2 failed: exited with 1');
    const patch = api.seen.find((s) => s.method === 'PATCH')!;
    expect(patch.json).toEqual({ image: 'team/web:2', env: { X: '1' } });
  });

  it('exits 2 after --timeout, saying why it is stuck', async () => {
    states = [{ service: view(), tasks: [task(1, 'pending', { pendingMessage: '3 nodes: constraint node.labels.zone==eu not met' }), task(2, 'running')] }];
    api.route('POST /api/v1/services/web/scale', (req, res) => json(res, 200, { service: view({ spec: { name: 'web', image: 'x', replicas: (req.json as { replicas: number }).replicas } }) }));
    const io = await runCli(['service', 'scale', 'web=2', '--timeout', '200ms'], env, dir.path);
    expect(api.seen.find((s) => s.method === 'POST')!.json).toEqual({ replicas: 2 });
    expect(io.code).toBe(2);
    expect(io.stderr).toContain('not converged after 200ms: slot 1 pending: 3 nodes: constraint node.labels.zone==eu not met');
  });

  it('Ctrl-C leaves the operation running, says so, and exits 130', async () => {
    states = [{ service: view(), tasks: [task(1, 'pulling'), task(2, 'pulling')] }];
    api.route('POST /api/v1/services/web/rollback', (_req, res) => json(res, 200, { service: view({ version: 3 }) }));
    const terminal = fakeTerminal();
    const running = runCli(['service', 'rollback', 'web'], env, dir.path, terminal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    terminal.raise('SIGINT');
    const io = await running;
    expect(io.code).toBe(130);
    expect(io.stderr).toContain('the operation keeps running in the cluster; follow it with silo service ps web');
    expect(polls).toBeGreaterThan(0);
    // Let requests the interrupt aborted in flight land here, not in the next test.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('--detach returns at once with exit 0', async () => {
    const io = await runCli(['service', 'create', '--detach', '--name', 'web', 'team/web:1'], env, dir.path);
    expect(io.code).toBe(0);
    expect(io.stdout).toBe('web\n');
    expect(polls).toBe(0);
  });

  it('a request error (validation) exits 1 and lists every problem', async () => {
    api.route('POST /api/v1/services', (_req, res) =>
      json(res, 400, { code: 'VALIDATION_FAILED', message: 'invalid service spec', details: [{ property: 'spec.name', constraints: { matches: 'name must be a DNS label' } }] }),
    );
    const io = await runCli(['service', 'create', '--name', 'Web', 'team/web:1'], env, dir.path);
    expect(io.code).toBe(1);
    expect(io.stderr).toContain('400 VALIDATION_FAILED invalid service spec');
    expect(io.stderr).toContain('  - spec.name: name must be a DNS label');
  });

  it('usage errors exit 1 with suggestions, for nested commands too', async () => {
    const verb = await runCli(['service', 'craete'], env, dir.path);
    expect(verb.code).toBe(1);
    expect(verb.stderr).toContain("unknown command 'craete'");
    expect(verb.stderr).toContain('(Did you mean create?)');
    const flag = await runCli(['service', 'ls', '--outptu', 'json'], env, dir.path);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("unknown option '--outptu'");
    expect(flag.stderr).toContain('(Did you mean --output?)');
    const deep = await runCli(['node', 'join-token', 'lst'], env, dir.path);
    expect(deep.code).toBe(1);
    expect(deep.stderr).toContain('(Did you mean one of list, ls?)');
    const missing = await runCli(['service', 'create'], env, dir.path);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing required argument 'image'");
    const badFlag = await runCli(['service', 'create', '--publish', 'eighty', 'x'], env, dir.path);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toContain('--publish "eighty"');
  });

  it('options after IMAGE belong to the container, as with docker', async () => {
    const io = await runCli(['service', 'create', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo --replicas 3'], env, dir.path);
    expect(io.code).toBe(0);
    expect(api.seen.find((s) => s.method === 'POST')!.json).toEqual({ name: 'web', image: 'busybox', args: ['sh', '-c', 'echo --replicas 3'] });
  });

  it('ls, ps and inspect render tables for people and json/yaml for programs', async () => {
    const services = [view({ running: 2, rollout: 'completed', spec: { name: 'web', image: 'team/web:1', replicas: 2, ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], team: 'shop' } })];
    api.route('GET /api/v1/services', (_req, res) => json(res, 200, { services }));
    states = [{ service: services[0]!, tasks: [task(1, 'running'), task(2, 'pending', { pendingMessage: 'no node has 64Mi free' })] }];
    const table = await runCli(['service', 'ls'], env, dir.path);
    expect(table.stdout).toMatch(/^NAME\s+MODE\s+REPLICAS\s+IMAGE\s+VERSION\s+ROLLOUT\s+PORTS\s+TEAM\nweb\s+replicated\s+2\/2\s+team\/web:1\s+1\s+completed\s+8080:80\/tcp\s+shop\n$/);
    const asJson = await runCli(['service', 'ls', '-o', 'json'], env, dir.path);
    expect(JSON.parse(asJson.stdout)).toEqual({ services });
    const asYaml = await runCli(['service', 'ls', '-o', 'yaml'], env, dir.path);
    expect(parseYaml(asYaml.stdout)).toEqual({ services });
    const ps = await runCli(['service', 'ps', 'web'], env, dir.path);
    expect(ps.stdout).toMatch(/TASK\s+SLOT\s+NODE\s+DESIRED\s+STATE\s+VERSION\s+UPDATED\s+MESSAGE/);
    expect(ps.stdout).toMatch(/web\.2\.abc2\s+2\s+-\s+running\s+pending\s+1\s+\d+s ago\s+no node has 64Mi free/);
    const inspect = await runCli(['service', 'inspect', 'web'], env, dir.path);
    expect(inspect.stdout).toMatch(/Ports:\s+8080:80\/tcp/);
    expect(JSON.parse((await runCli(['service', 'inspect', 'web', '-o', 'json'], env, dir.path)).stdout)).toEqual(services[0]);
    const format = await runCli(['service', 'ls', '-o', 'xml'], env, dir.path);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('Allowed choices are table, json, yaml');
  });

  it('rm removes each service and exits 1 when one is unknown', async () => {
    api.route('DELETE /api/v1/services/web', (_req, res) => json(res, 200, { name: 'web', removed: true }));
    const io = await runCli(['service', 'rm', 'web', 'ghost'], env, dir.path);
    expect(io.stdout).toBe('web\n');
    expect(io.stderr).toContain('ghost');
    expect(io.code).toBe(1);
  });

  it('logs prints NDJSON lines by stream with the task prefix', async () => {
    api.route('GET /api/v1/services/web/logs', (req, res) => {
      expect(req.url).toBe('/api/v1/services/web/logs?tail=10&follow=true');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"task":"web.1.a","time":"t","stream":"stdout","text":"hello"}\n{"keepalive":true}\n');
      res.end('{"task":"web.2.b","time":"t","stream":"stderr","text":"oops"}\n');
    });
    const io = await runCli(['service', 'logs', 'web', '-f', '--tail', '10'], env, dir.path);
    expect(io.code).toBe(0);
    expect(io.stdout).toBe('web.1.a | hello\n');
    expect(io.stderr).toBe('web.2.b | oops\n');
  });
});
