import { execSocketUrl } from '../exec/interactive-exec';
import type { ServiceTask, ServiceView } from '@silo/contracts';
import { makeTempDir, TempDir } from '@silo/testing';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { FakeServer, fakeTerminal, json, runCli, startFakeServer } from '../testing/fake-api';
import { localPlatformEnv } from '../testing/local-platform';

const job = (over: Partial<ServiceView>): ServiceView => ({
  id: 'j1', name: 'calc', mode: 'job', version: 1, spec: { name: 'calc', image: 'busybox', mode: 'job' }, desired: 1, running: 0, completed: 0,
  rollout: 'updating', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...over,
});
const run = (state: string, exitCode?: number): ServiceTask => ({ taskId: 'calc.1.x', slot: 1, version: 1, desiredState: state === 'running' ? 'running' : 'shutdown', state, ...(exitCode !== undefined ? { exitCode } : {}), updatedAt: new Date().toISOString() });

describe('silo job run, silo run, silo exec (against a stand-in api)', () => {
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

  function scriptJob(states: Array<{ service: ServiceView; tasks: ServiceTask[] }>) {
    let polls = 0;
    api.route('POST /api/v1/jobs', (req, res) => json(res, 201, { service: job({ spec: req.json as ServiceView['spec'] }) }));
    api.route('GET /api/v1/jobs/calc', (_req, res) => json(res, 200, { service: states[Math.min(polls, states.length - 1)]!.service }));
    api.route('GET /api/v1/jobs/calc/tasks', (_req, res) => json(res, 200, { name: 'calc', tasks: states[Math.min(polls++, states.length - 1)]!.tasks }));
    api.route('GET /api/v1/jobs/calc/logs', (_req, res) => void res.writeHead(200).end('{"task":"calc.1.x","stream":"stdout","text":"42"}\n'));
  }

  it('job run follows to completion, prints the logs and exits 0', async () => {
    scriptJob([
      { service: job({ running: 1 }), tasks: [run('running')] },
      { service: job({ completed: 1, rollout: 'completed' }), tasks: [run('exited', 0)] },
    ]);
    const io = await runCli(['job', 'run', '--name', 'calc', '--completions', '1', 'busybox', 'sh', '-c', 'echo 42'], env, dir.path);
    expect(io.code).toBe(0);
    expect(api.seen[0]!.json).toEqual({ name: 'calc', image: 'busybox', args: ['sh', '-c', 'echo 42'], completions: 1 });
    expect(io.stderr).toContain('calc: 1/1 completed');
    expect(io.stdout).toBe('42\n');
  });

  it("job run passes a failed run's exit code through", async () => {
    scriptJob([
      { service: job({ running: 1 }), tasks: [run('running')] },
      { service: job({ rollout: 'paused', rolloutMessage: '3 failed runs: giving up' }), tasks: [run('exited', 7)] },
    ]);
    const io = await runCli(['job', 'run', '--name', 'calc', '--no-logs', 'busybox', 'false'], env, dir.path);
    expect(io.code).toBe(7);
    expect(io.stderr).toContain('calc failed to converge: 3 failed runs: giving up');
  });

  it("silo run creates a service, follows it, and passes a crashing container's exit code through", async () => {
    const svc = (over: Partial<ServiceView>): ServiceView => ({ ...job({}), mode: 'replicated', name: 'app', completed: undefined, spec: { name: 'app', image: 'app' }, ...over });
    api.route('POST /api/v1/services', (_req, res) => json(res, 201, { service: svc({}) }));
    api.route('GET /api/v1/services/app', (_req, res) => json(res, 200, { service: svc({ rollout: 'paused', rolloutMessage: 'task failed' }) }));
    api.route('GET /api/v1/services/app/tasks', (_req, res) => json(res, 200, { name: 'app', tasks: [{ ...run('exited', 3), taskId: 'app.1.x', desiredState: 'shutdown' }] }));
    const io = await runCli(['run', 'app'], env, dir.path);
    expect(io.code).toBe(3);
  });

  it('exec without -it posts the command (TASK as service.slot) and exits with its exit code', async () => {
    api.route('GET /api/v1/services/web/tasks', (_req, res) =>
      json(res, 200, { name: 'web', tasks: [{ ...run('running'), taskId: 'web.2.old', slot: 2, version: 1 }, { ...run('running'), taskId: 'web.2.new', slot: 2, version: 2 }] }),
    );
    api.route('POST /api/v1/tasks/web.2.new/exec', (_req, res) => json(res, 200, { exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false }));
    const io = await runCli(['exec', 'web.2', '--', 'sh', '-c', 'exit 3'], env, dir.path);
    expect(api.seen.at(-1)!.json).toEqual({ command: ['sh', '-c', 'exit 3'] });
    expect(io.stdout).toBe('out\n');
    expect(io.stderr).toBe('err\n');
    expect(io.code).toBe(3);
    const direct = await runCli(['exec', '-e', 'A=1', '-u', 'nobody', 'web.2.new', 'ls', '-l'], env, dir.path);
    expect(api.seen.at(-1)!.json).toEqual({ command: ['ls', '-l'], env: { A: '1' }, user: 'nobody' });
    expect(direct.code).toBe(3);
  });

  it('exec -it speaks the WebSocket: raw mode, stdin, resize, output, exit code; the terminal is restored', async () => {
    const wss = new WebSocketServer({ server: api.server });
    const received: Array<string | Buffer> = [];
    let url = '';
    let auth = '';
    wss.on('connection', (socket, req) => {
      url = req.url!;
      auth = req.headers.authorization ?? '';
      socket.on('message', (data, isBinary) => {
        received.push(isBinary ? (data as Buffer) : data.toString());
        if (isBinary && (data as Buffer).toString() === 'exit\r') {
          socket.send(Buffer.from('bye\r\n'), { binary: true });
          socket.send(JSON.stringify({ exit: 5 }));
          socket.close(1000);
        }
      });
      socket.send(Buffer.from('$ '), { binary: true });
    });
    try {
      const terminal = fakeTerminal({ tty: true });
      const running = runCli(['exec', '-it', 'web.1.abc', 'sh'], env, dir.path, terminal);
      await new Promise((resolve) => setTimeout(resolve, 150));
      terminal.raise('SIGWINCH');
      terminal.stdin.write('exit\r');
      const io = await running;
      expect(io.stderr).toBe('');
      expect(io.code).toBe(5);
      expect(io.stdout).toBe('$ bye\r\n');
      expect(url).toBe('/api/v1/tasks/web.1.abc/exec/ws?command=sh&tty=1&cols=100&rows=30');
      expect(auth).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
      expect(received).toContainEqual(JSON.stringify({ resize: { cols: 100, rows: 30 } }));
      expect(terminal.rawModes).toEqual([true, false]);
    } finally {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  });

  it('exec -i without a TTY demultiplexes stdout and stderr frames', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        if (isBinary) return;
        if (JSON.parse(data.toString()).eof) {
          socket.send(Buffer.concat([Buffer.from([1]), Buffer.from('to out\n')]), { binary: true });
          socket.send(Buffer.concat([Buffer.from([2]), Buffer.from('to err\n')]), { binary: true });
          socket.send(JSON.stringify({ exit: 0 }));
          socket.close(1000);
        }
      });
    });
    try {
      const port = (wss.address() as AddressInfo).port;
      const terminal = fakeTerminal();
      terminal.stdin.end('input');
      const io = await runCli(['exec', '-i', '--api', `http://127.0.0.1:${port}`, 'web.1.abc', 'cat'], env, dir.path, terminal);
      expect(io.stdout).toBe('to out\n');
      expect(io.stderr).toBe('to err\n');
      expect(io.code).toBe(0);
      expect(terminal.rawModes).toEqual([]);
    } finally {
      wss.close();
    }
  });
});

describe('silo exec -it errors', () => {
  it('reports the server\'s error frame and exits 1; a refused upgrade says why', async () => {
    const dir = await makeTempDir();
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (info, done) => (info.req.url!.includes('denied') ? done(false, 403, 'Forbidden') : done(true)) });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => {
      socket.send(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no container for web.1.abc' } }));
      socket.close(1011, 'NOT_FOUND');
    });
    try {
      const api = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
      const env = localPlatformEnv(dir.path, api);
      const terminal = fakeTerminal({ tty: true });
      const io = await runCli(['exec', '-it', 'web.1.abc', 'sh'], env, dir.path, terminal);
      expect(io.code).toBe(1);
      expect(io.stderr).toContain('silo: exec: NOT_FOUND no container for web.1.abc');
      expect(terminal.rawModes).toEqual([true, false]);
      const denied = await runCli(['exec', '-t', 'denied', 'sh'], env, dir.path, fakeTerminal({ tty: true }));
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('exec: 403');
    } finally {
      wss.close();
      await dir.cleanup();
    }
  });
});

describe('execSocketUrl', () => {
  it('sends the terminal size only when the terminal reports one', () => {
    const options = { taskId: 'web.1.ab', command: ['sh', '-c', 'echo hi'], tty: true, stdin: true };
    const sized = new URL(execSocketUrl('http://api:7070', options, { cols: 120, rows: 40 }));
    expect(sized.protocol).toBe('ws:');
    expect(sized.pathname).toBe('/api/v1/tasks/web.1.ab/exec/ws');
    expect(sized.searchParams.getAll('command')).toEqual(['sh', '-c', 'echo hi']);
    expect([sized.searchParams.get('cols'), sized.searchParams.get('rows'), sized.searchParams.get('tty')]).toEqual(['120', '40', '1']);
    const unsized = new URL(execSocketUrl('https://api', options, { cols: 0, rows: 0 }));
    expect(unsized.protocol).toBe('wss:');
    expect(unsized.searchParams.has('cols')).toBe(false);
  });
});
