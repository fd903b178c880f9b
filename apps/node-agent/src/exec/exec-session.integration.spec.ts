/**
 * Interactive exec sessions end to end: a real registry, an image built from busybox-static, the
 * agent from dist/ and a real container; the test speaks the exec-session protocol over NATS the
 * way the api's WebSocket will (inbox for output, stdin and control subjects from the reply).
 * Everything it makes (containers, mounts, cgroups, the test network) is removed in afterAll,
 * also when a test fails.
 */
import { AgentExecReply, AgentTaskSpec, EXEC_STDIN_HEADER, EXEC_STREAM_HEADER, ExecOpenReply, Subjects } from '@silo/contracts';
import { AGENT_MAIN, AgentProcess, buildOciLayout, makeTempDir, SILO_RUNTIME as RUNTIME, skopeoCopy, SiloRegistryHandle, startSiloRegistry, TempDir, waitFor } from '@silo/testing';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInbox, headers as natsHeaders, NatsConnection, Subscription } from 'nats';
import { removeAgentLeftovers } from '../testing/agent-leftovers';

const suffix = `${process.pid % 10_000}`;
const NODE_ID = `it-exec-${suffix}`;
const BRIDGE = `silox${suffix}`;
const SUBNET = `10.${150 + (process.pid % 50)}.${process.pid % 250}.0/24`;
const CHAINS = `SILOX${suffix}`;
const CGROUP_PARENT = `/silo/${NODE_ID}`;

const runtimeReady = existsSync(RUNTIME) && /--tty/.test(readFileSync(RUNTIME).toString('latin1')) && /control-fd/.test(readFileSync(RUNTIME).toString('latin1'));

interface Exit {
  exitCode: number;
  error?: string;
}

/** The caller's side of one session. */
class SessionClient {
  readonly chunks: Array<{ stream: string; text: string }> = [];
  readonly exit: Promise<Exit>;
  reply!: ExecOpenReply;
  private readonly subscription: Subscription;
  private readonly outputSubject = createInbox();

  constructor(private readonly nc: NatsConnection) {
    let resolveExit!: (exit: Exit) => void;
    this.exit = new Promise((resolve) => (resolveExit = resolve));
    this.subscription = nc.subscribe(this.outputSubject, {
      callback: (_err, msg) => {
        const stream = msg.headers?.get(EXEC_STREAM_HEADER) ?? '';
        const text = Buffer.from(msg.data).toString();
        if (this.chunks.some((c) => c.stream === 'exit')) throw new Error(`a message after exit: ${stream} ${text}`);
        this.chunks.push({ stream, text });
        if (stream === 'exit') resolveExit(JSON.parse(text) as Exit);
      },
    });
  }

  async open(agent: AgentProcess, request: Record<string, unknown>): Promise<this> {
    await this.nc.flush();
    this.reply = await agent.request(Subjects.agentExecOpen(NODE_ID), { outputSubject: this.outputSubject, ...request }, ExecOpenReply);
    return this;
  }

  output(stream: string): string {
    return this.chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join('');
  }

  /** Output with the terminal's carriage returns removed, as lines. */
  lines(stream = 'stdout'): string[] {
    return this.output(stream).replace(/\r/g, '').split('\n');
  }

  stdin(text: string): void {
    this.nc.publish(this.reply.stdinSubject, Buffer.from(text));
  }

  stdinEof(): void {
    const h = natsHeaders();
    h.set(EXEC_STDIN_HEADER, 'eof');
    this.nc.publish(this.reply.stdinSubject, new Uint8Array(), { headers: h });
  }

  control(message: object): void {
    this.nc.publish(this.reply.controlSubject, Buffer.from(JSON.stringify(message)));
  }

  async finish(timeoutMs = 20_000): Promise<Exit> {
    try {
      return await Promise.race([
        this.exit,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit message within ${timeoutMs} ms; output: ${JSON.stringify(this.chunks)}`)), timeoutMs).unref()),
      ]);
    } finally {
      this.subscription.unsubscribe();
    }
  }
}

(runtimeReady ? describe : describe.skip)('node agent: interactive exec sessions in a real container', () => {
  let registry: SiloRegistryHandle;
  let work: TempDir;
  let agent: AgentProcess;
  let image: string;
  let home: string;
  const sessions: SessionClient[] = [];

  const task = (taskId: string, extra: Partial<AgentTaskSpec> = {}): AgentTaskSpec => ({
    taskId,
    image,
    network: 'none',
    command: ['/bin/sleep', '1000'],
    stopGracePeriodMs: 1000,
    ...extra,
  });

  async function session(request: Record<string, unknown>): Promise<SessionClient> {
    const client = new SessionClient(agent.nc!);
    sessions.push(client);
    return client.open(agent, { taskId: 'shell', ...request });
  }

  async function sh(script: string): Promise<AgentExecReply> {
    return agent.request(Subjects.agentExec(NODE_ID), { taskId: 'shell', command: ['/bin/sh', '-c', script], timeoutMs: 20_000 }, AgentExecReply);
  }

  /** The command lines of the container's processes. */
  async function processes(): Promise<string[]> {
    const reply = await sh('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    return reply.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  beforeAll(async () => {
    // The agent runs from dist/: it must have been built from this source.
    if (!existsSync(join(AGENT_MAIN, '../exec/exec-sessions.js'))) throw new Error(`${AGENT_MAIN} predates exec sessions: run \`npm run build\` first`);
    registry = await startSiloRegistry();
    work = await makeTempDir('silo-exec-it-');
    home = registry.home;
    const built = await buildOciLayout(join(work.path, 'app'), {
      tag: 'v1',
      layers: [{ busybox: true }, { files: { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'etc/group': 'root:x:0:\n' } }],
      config: { Cmd: ['/bin/sleep', '1000'] },
    });
    image = `${registry.host}/team/exec:v1`;
    await skopeoCopy(built.skopeoRef, image, { destCreds: registry.creds, preserveDigests: true });
    agent = new AgentProcess({ home, natsUrl: registry.natsUrl, registryUrl: registry.url, nodeId: NODE_ID, bridge: BRIDGE, subnet: SUBNET, env: { SILO_NETWORK_CHAIN_PREFIX: CHAINS } });
    await agent.start();
    expect((await agent.apply([task('shell'), task('done', { command: ['/bin/true'], restartPolicy: { name: 'no' } })])).applied).toBe(true);
    await agent.waitForTask('shell', (s) => s.state === 'running', 60_000);
    await agent.waitForTask('done', (s) => s.state === 'exited', 60_000);
  }, 180_000);

  afterEach(async () => {
    // A session a failed test left open is closed (the agent kills its process).
    for (const client of sessions.splice(0)) {
      if (client.reply && !client.chunks.some((c) => c.stream === 'exit')) {
        client.control({ close: true });
        await client.finish(10_000).catch(() => undefined);
      }
    }
  });

  afterAll(async () => {
    try {
      if (agent?.child) {
        await agent.apply([]).catch(() => undefined);
        await waitFor(async () => (await agent.list()).length === 0, { timeoutMs: 60_000, description: 'every task removed' }).catch(() => undefined);
      }
      await agent?.close();
    } finally {
      // Whatever the agent did not remove: containers, mounts, cgroups, the test network.
      await removeAgentLeftovers({ home, nodeId: NODE_ID, runtime: RUNTIME, cgroupParent: CGROUP_PARENT, bridge: BRIDGE, subnet: SUBNET, chains: CHAINS });
      await registry?.stop();
      await work?.cleanup();
    }
  }, 120_000);

  it('a TTY session runs an interactive shell: output, a /dev/pts terminal, the exit code', async () => {
    const client = await session({ command: ['/bin/sh'], tty: true, cols: 100, rows: 30 });
    expect(client.reply.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    client.stdin('echo hi; tty; exit 3\n');
    expect(await client.finish()).toEqual({ exitCode: 3 });
    const lines = client.lines();
    expect(lines).toContain('hi');
    expect(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l))).toBe(true);
    // With a terminal everything is stdout.
    expect(client.output('stderr')).toBe('');
    expect(client.chunks.at(-1)!.stream).toBe('exit');
  });

  it('without a TTY stdout and stderr stay separate, and stdin ends with Silo-Stdin: eof', async () => {
    const client = await session({ command: ['/bin/sh', '-c', 'echo to-out; echo to-err >&2; cat; echo cat-done'], tty: false });
    client.stdin('from-stdin\n');
    client.stdinEof();
    expect(await client.finish()).toEqual({ exitCode: 0 });
    expect(client.output('stdout')).toBe('to-out\nfrom-stdin\ncat-done\n');
    expect(client.output('stderr')).toBe('to-err\n');
  });

  it('with windowBytes, a process that writes faster than the caller acknowledges is held at its pipe, and finishes once acknowledged', async () => {
    // 4 MiB of output; the caller acknowledges nothing at first
    const client = await session({ command: ['/bin/sh', '-c', 'head -c 4194304 /dev/zero; echo done >&2'], tty: false, windowBytes: 65536 });
    const received = () => client.chunks.filter((c) => c.stream === 'stdout').reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    await waitFor(() => received() >= 65536, { description: 'the first window of output' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // held: one window (and the last chunk read), far from the 4 MiB
    expect(received()).toBeLessThan(65536 + 1024 * 1024);
    expect(client.chunks.some((c) => c.stream === 'exit')).toBe(false);
    // acknowledge as it arrives, like the api does
    const acking = setInterval(() => client.control({ ack: received() }), 20);
    try {
      expect(await client.finish()).toEqual({ exitCode: 0 });
    } finally {
      clearInterval(acking);
    }
    expect(received()).toBe(4194304);
    expect(client.output('stderr')).toBe('done\n');
  });

  it('resize changes the window size that `stty size` shows', async () => {
    const client = await session({ command: ['/bin/sh'], tty: true, cols: 80, rows: 24 });
    client.stdin('stty size\n');
    await waitFor(async () => client.lines().includes('24 80'), { timeoutMs: 10_000, description: 'the first size' });
    client.control({ resize: { cols: 132, rows: 43 } });
    // Control and stdin are separate subjects: wait until the resize is surely through.
    await new Promise((resolve) => setTimeout(resolve, 500));
    client.stdin('stty size; exit\n');
    expect(await client.finish()).toEqual({ exitCode: 0 });
    expect(client.lines()).toContain('43 132');
  });

  it('a signal reaches the process; close kills it', async () => {
    const signalled = await session({ command: ['/bin/sleep', '998'], tty: false });
    await waitFor(async () => (await processes()).includes('/bin/sleep 998'), { description: 'sleep 998 running' });
    signalled.control({ signal: 'SIGTERM' });
    expect(await signalled.finish()).toEqual({ exitCode: 143 });
    const closed = await session({ command: ['/bin/sh', '-c', 'trap "" TERM HUP INT; sleep 997'], tty: true });
    await waitFor(async () => (await processes()).includes('sleep 997'), { description: 'sleep 997 running' });
    closed.control({ close: true });
    expect(await closed.finish()).toEqual({ exitCode: 137 });
  });

  it('a session without input or keepalive for idleTimeoutMs is killed; keepalive holds it open', async () => {
    const idle = await session({ command: ['/bin/sleep', '999'], tty: true, idleTimeoutMs: 1000 });
    const kept = await session({ command: ['/bin/sleep', '996'], tty: false, idleTimeoutMs: 1000 });
    const keepalive = setInterval(() => kept.control({ keepalive: true }), 300);
    try {
      const started = Date.now();
      expect(await idle.finish(15_000)).toEqual({ exitCode: 137 });
      expect(Date.now() - started).toBeLessThan(10_000);
      // The killed process is gone from the container; the kept one still runs.
      await waitFor(async () => !(await processes()).includes('/bin/sleep 999'), { description: 'sleep 999 gone' });
      expect(await processes()).toContain('/bin/sleep 996');
    } finally {
      clearInterval(keepalive);
    }
    expect(await kept.finish(15_000)).toEqual({ exitCode: 137 });
  });

  it('a command that cannot run ends with exitCode -1 and the error', async () => {
    const client = await session({ command: ['/no/such/command'], tty: true });
    const exit = await client.finish();
    expect(exit.exitCode).toBe(-1);
    expect(exit.error).toMatch(/no such file|not found/i);
  });

  it('an unknown task is NOT_FOUND, a task that is not running is CONFLICT, a bad request VALIDATION_FAILED', async () => {
    const open = (request: Record<string, unknown>) => agent.request(Subjects.agentExecOpen(NODE_ID), { outputSubject: createInbox(), command: ['sh'], tty: false, ...request }, ExecOpenReply);
    await expect(open({ taskId: 'no-such-task' })).rejects.toThrow(/^NOT_FOUND: no task no-such-task/);
    await expect(open({ taskId: 'done' })).rejects.toThrow(/^CONFLICT: task done is exited, not running/);
    await expect(open({ taskId: 'shell', command: [] })).rejects.toThrow(/^VALIDATION_FAILED/);
    await expect(open({ taskId: 'shell', outputSubject: 'silo.>' })).rejects.toThrow(/^VALIDATION_FAILED: outputSubject/);
  });
});
