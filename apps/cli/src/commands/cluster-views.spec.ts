import { makeTempDir, TempDir } from '@silo/testing';
import { FakeServer, fakeTerminal, json, runCli, startFakeServer } from '../testing/fake-api';
import { localPlatformEnv } from '../testing/local-platform';

const node = {
  nodeId: 'node-1', hostname: 'h1', state: 'ready', availability: 'active', labels: { zone: 'eu' }, platform: { os: 'linux', arch: 'amd64' },
  capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, pids: 1000 }, allocatable: { cpuMillis: 3500, memoryBytes: 7 * 1024 ** 3, pids: 1000 },
  allocated: { cpuMillis: 500, memoryBytes: 64 * 1024 ** 2, pids: 0 }, tasks: 3, runningTasks: 2, lastHeartbeatAt: new Date().toISOString(),
};

describe('nodes, events, top, accounts (against a stand-in api)', () => {
  let dir: TempDir;
  let api: FakeServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    api = await startFakeServer();
    dir = await makeTempDir();
    env = localPlatformEnv(dir.path, api.url);
  });
  afterAll(async () => {
    await api.close();
    await dir.cleanup();
  });
  beforeEach(() => api.reset());

  it('node ls and inspect render tables; node update sends availability and labels', async () => {
    api.route('GET /api/v1/nodes', (_req, res) => json(res, 200, { nodes: [node] }));
    api.route('GET /api/v1/nodes/node-1', (_req, res) => json(res, 200, { node, tasks: [] }));
    api.route('PATCH /api/v1/nodes/node-1', (req, res) => json(res, 200, { node: { ...node, availability: 'drain', labels: { zone: 'us' } }, body: req.json }));
    const ls = await runCli(['node', 'ls'], env, dir.path);
    expect(ls.stdout).toMatch(/ID\s+HOSTNAME\s+STATE\s+AVAILABILITY\s+CPU\s+MEMORY\s+TASKS\s+LABELS\s+HEARTBEAT\nnode-1\s+h1\s+ready\s+active\s+0\.5\/3\.5\s+64Mi\/7Gi\s+2\/3\s+zone=eu\s+\d+s ago/);
    const inspect = await runCli(['node', 'inspect', 'node-1'], env, dir.path);
    expect(inspect.stdout).toMatch(/Platform:\s+linux\/amd64/);
    const update = await runCli(['node', 'update', 'node-1', '--availability', 'drain', '--label-add', 'zone=us', '--label-rm', 'old'], env, dir.path);
    expect(update.code).toBe(0);
    expect(api.seen.at(-1)!.json).toEqual({ availability: 'drain', labelsAdd: { zone: 'us' }, labelsRemove: ['old'] });
    expect(update.stdout).toBe('node-1: drain, labels zone=us\n');
    const bad = await runCli(['node', 'update', 'node-1', '--availability', 'off'], env, dir.path);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Allowed choices are active, pause, drain');
  });

  it('events streams SSE until Ctrl-C: text for people, one JSON per line with -o json', async () => {
    api.route('GET /api/v1/events', (req, res) => {
      expect(req.url).toBe('/api/v1/events?types=task,service');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keepalive\n\n');
      res.write('id: 1\nevent: task\ndata: {"taskId":"web.1.a","service":"web","nodeId":"node-1","state":"running"}\n\n');
      res.write('id: 2\nevent: service\ndata: {"name":"web","version":2,"rollout":"completed"}\n\n');
    });
    const terminal = fakeTerminal();
    const running = runCli(['events', '--type', 'task,service', '-o', 'json'], env, dir.path, terminal);
    await new Promise((resolve) => setTimeout(resolve, 150));
    terminal.raise('SIGINT');
    const io = await running;
    expect(io.code).toBe(0);
    expect(io.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { id: '1', type: 'task', data: { taskId: 'web.1.a', service: 'web', nodeId: 'node-1', state: 'running' } },
      { id: '2', type: 'service', data: { name: 'web', version: 2, rollout: 'completed' } },
    ]);
    const text = fakeTerminal();
    const people = runCli(['events', '--type', 'task,service'], env, dir.path, text);
    await new Promise((resolve) => setTimeout(resolve, 150));
    text.raise('SIGINT');
    expect((await people).stdout).toMatch(/Z task\s+web\.1\.a state=running service=web nodeId=node-1\n.*Z service web rollout=completed version=2\n$/);
    const wrong = await runCli(['events', '--type', 'tasks'], env, dir.path);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--type tasks: unknown');
  });

  it('top --no-stream prints one snapshot of nodes and services', async () => {
    api.route('GET /api/v1/top', (_req, res) =>
      json(res, 200, {
        nodes: [{ nodeId: 'node-1', hostname: 'h1', state: 'ready', cpuMillis: 1000, memoryBytes: 512 * 1024 ** 2, capacity: { cpuMillis: 4000, memoryBytes: 1024 ** 3 }, tasks: 2 }],
        services: [{ name: 'web', team: 'shop', tasks: 2, cpuPercent: 12.5, memoryBytes: 64 * 1024 ** 2, pids: 7 }],
      }),
    );
    const io = await runCli(['top', '--no-stream'], env, dir.path, fakeTerminal({ tty: true }));
    expect(io.code).toBe(0);
    expect(io.stdout).toMatch(/NODE\s+HOSTNAME\s+STATE\s+CPU\s+CPU %\s+MEMORY\s+MEM %\s+TASKS\nnode-1\s+h1\s+ready\s+1\s+25\.0%\s+512Mi\s+50\.0%\s+2/);
    expect(io.stdout).toMatch(/web\s+shop\s+2\s+12\.5%\s+64Mi\s+7/);
    expect(io.stdout).not.toContain('\x1b[');
  });

  it('top refreshes in place on a terminal until Ctrl-C', async () => {
    let calls = 0;
    api.route('GET /api/v1/top', (_req, res) => void (calls++, json(res, 200, { nodes: [], services: [] })));
    const terminal = fakeTerminal({ tty: true });
    const running = runCli(['top', '--interval', '0.5'], env, dir.path, terminal);
    await new Promise((resolve) => setTimeout(resolve, 700));
    terminal.raise('SIGINT');
    const io = await running;
    expect(io.code).toBe(0);
    expect(calls).toBe(2);
    expect(io.stdout.split('\x1b[H\x1b[2J')).toHaveLength(3);
  });

  it('user, team and token commands call their routes and show secrets once', async () => {
    api.route('POST /api/v1/users', (_req, res) => json(res, 201, { name: 'carol', kind: 'user', secret: 'generated-pw' }));
    api.route('GET /api/v1/users', (_req, res) => json(res, 200, { accounts: [{ name: 'carol', kind: 'user', role: 'member', teams: [{ team: 'shop', role: 'push' }], createdAt: '2026-01-01T00:00:00.000Z' }] }));
    api.route('PUT /api/v1/teams/shop/members/carol', (_req, res) => json(res, 200, {}));
    api.route('POST /api/v1/tokens', (_req, res) => json(res, 201, { name: 'shop+ci', kind: 'robot', secret: 'robot-secret' }));
    api.route('POST /api/v1/teams', (_req, res) => json(res, 201, { name: 'shop' }));
    const create = await runCli(['user', 'create', 'carol', '--role', 'member'], env, dir.path);
    expect(api.seen.at(-1)!.json).toEqual({ name: 'carol', role: 'member' });
    expect(create.stdout).toContain('  generated-pw\n');
    expect((await runCli(['user', 'ls'], env, dir.path)).stdout).toMatch(/carol\s+user\s+member\s+shop:push\s+2026-01-01T00:00:00Z/);
    expect((await runCli(['team', 'create', 'shop', '--quota', '10Gi'], env, dir.path)).code).toBe(0);
    expect(api.seen.at(-1)!.json).toEqual({ name: 'shop', quotaBytes: 10 * 1024 ** 3 });
    expect((await runCli(['team', 'member', 'shop', 'carol', 'push'], env, dir.path)).code).toBe(0);
    expect(api.seen.at(-1)!.json).toEqual({ role: 'push' });
    const token = await runCli(['token', 'create', 'ci', '--team', 'shop', '--role', 'push', '-o', 'json'], env, dir.path);
    expect(JSON.parse(token.stdout)).toEqual({ name: 'shop+ci', kind: 'robot', secret: 'robot-secret' });
    const noTeam = await runCli(['token', 'create', 'ci'], env, dir.path);
    expect(noTeam.code).toBe(1);
    expect(noTeam.stderr).toContain("required option '--team <team>' not specified");
  });

  it('image ls, inspect and rm use the api with repository names that contain "/"', async () => {
    api.route('GET /api/v1/images', (_req, res) => json(res, 200, { repositories: [{ name: 'shop/web', public: false, tagCount: 2, manifestCount: 2, sizeBytes: 2048, updatedAt: new Date().toISOString() }] }));
    api.route('GET /api/v1/images/shop/web', (_req, res) =>
      json(res, 200, { repository: { name: 'shop/web', public: false, tagCount: 1, manifestCount: 1, sizeBytes: 2048, tags: [{ tag: 'v1', digest: 'sha256:abc', mediaType: 'application/vnd.oci.image.manifest.v1+json', sizeBytes: 2048, updatedAt: new Date().toISOString() }] } }),
    );
    api.route('GET /api/v1/images/shop/web/manifests/v1', (_req, res) =>
      json(res, 200, { name: 'shop/web', digest: 'sha256:abc', mediaType: 'application/vnd.oci.image.manifest.v1+json', sizeBytes: 2048, manifest: {}, config: { os: 'linux', architecture: 'arm64', config: { Cmd: ['sh'] } }, layers: [{ digest: 'sha256:l1', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1024 }], tags: ['v1'] }),
    );
    api.route('DELETE /api/v1/images/shop/web/manifests/v1', (_req, res) => json(res, 200, { name: 'shop/web', deletedTags: ['v1'] }));
    expect((await runCli(['image', 'ls'], env, dir.path)).stdout).toMatch(/REPOSITORY\s+TAGS\s+MANIFESTS\s+SIZE\s+PUBLIC\s+UPDATED\nshop\/web\s+2\s+2\s+2\.0KiB\s+no\s+\d+s ago/);
    expect((await runCli(['image', 'inspect', 'shop/web'], env, dir.path)).stdout).toMatch(/v1\s+sha256:abc\s+oci\.image\.manifest\.v1\+json\s+2\.0KiB/);
    const one = await runCli(['image', 'inspect', 'shop/web:v1'], env, dir.path);
    expect(one.stdout).toMatch(/Platform:\s+linux\/arm64/);
    expect(one.stdout).toMatch(/sha256:l1\s+oci\.image\.layer\.v1\.tar\+gzip\s+1\.0KiB/);
    const rm = await runCli(['image', 'rm', 'shop/web:v1'], env, dir.path);
    expect(rm.stdout).toBe('Untagged: shop/web:v1\n');
  });
});
