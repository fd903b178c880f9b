import { ExecOpenRequest } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { PassThrough } from 'node:stream';
import type { ContainerRuntime, ExecExit, ExecProcess, InteractiveExecOptions } from '../runtime/container-runtime';
import { ExecSession, ExecSessionOptions } from './exec-session';
import { ExecSessions } from './exec-sessions';
import { SessionMessage, SessionTransport } from './session-transport';

class FakeProcess implements ExecProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly input: string[] = [];
  readonly calls: string[] = [];
  inputEnded = false;
  private resolveExit!: (exit: ExecExit) => void;
  readonly exited = new Promise<ExecExit>((resolve) => (this.resolveExit = resolve));

  write(data: Uint8Array): void {
    this.input.push(Buffer.from(data).toString());
  }
  endInput(): void {
    this.inputEnded = true;
  }
  resize(cols: number, rows: number): void {
    this.calls.push(`resize ${cols} ${rows}`);
  }
  signal(signal: string): void {
    if (signal === 'bad signal') throw new SiloError('VALIDATION_FAILED', 'no');
    this.calls.push(`signal ${signal}`);
  }
  kill(): void {
    this.calls.push('kill');
    this.exit({ exitCode: 137 });
  }
  exit(exit: ExecExit): void {
    this.stdout.end();
    this.stderr.end();
    this.resolveExit(exit);
  }
}

interface Published {
  subject: string;
  stream: string | undefined;
  text: string;
}

class FakeTransport extends SessionTransport {
  readonly published: Published[] = [];
  readonly handlers = new Map<string, (m: SessionMessage) => void>();

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    this.published.push({ subject, stream: headers?.['Silo-Stream'], text: Buffer.from(data).toString() });
  }
  subscribe(subject: string, onMessage: (message: SessionMessage) => void): () => void {
    this.handlers.set(subject, onMessage);
    return () => this.handlers.delete(subject);
  }
  send(subject: string, data: string | object, headers: Record<string, string> = {}): void {
    const handler = this.handlers.get(subject);
    if (!handler) throw new Error(`nobody listens on ${subject}`);
    handler({ data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)), header: (name) => headers[name] });
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Every session a test opened is ended after it, so that no idle timer outlives the test. */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function makeSession(extra: Partial<ExecSessionOptions> = {}) {
  const process = new FakeProcess();
  const transport = new FakeTransport();
  const options: ExecSessionOptions = { id: 's1', outputSubject: '_INBOX.out', stdinSubject: 'in', controlSubject: 'ctl', idleTimeoutMs: 60_000, tty: false, ...extra };
  const session = new ExecSession(options, process, transport);
  cleanups.push(async () => {
    session.close();
    await session.finished;
  });
  return { process, transport, session };
}

describe('ExecSession', () => {
  it('streams stdout and stderr separately, and ends with the exit message', async () => {
    const { process, transport, session } = makeSession();
    process.stdout.write('out-1');
    process.stderr.write('err-1');
    await tick();
    process.exit({ exitCode: 3 });
    await session.finished;
    expect(transport.published).toEqual([
      { subject: '_INBOX.out', stream: 'stdout', text: 'out-1' },
      { subject: '_INBOX.out', stream: 'stderr', text: 'err-1' },
      { subject: '_INBOX.out', stream: 'exit', text: '{"exitCode":3}' },
    ]);
    // Nothing listens any more.
    expect(transport.handlers.size).toBe(0);
  });

  it('with windowBytes, holds the output back while a window is unacknowledged, and lets it go on { ack }', async () => {
    const { process, transport, session } = makeSession({ windowBytes: 10 });
    process.stdout.write('123456');
    await tick();
    expect(session.holding).toBe(false);
    process.stderr.write('7890ab'); // 12 bytes out, none acknowledged: held
    await tick();
    expect(session.holding).toBe(true);
    expect(process.stdout.isPaused()).toBe(true);
    process.stdout.write('later');
    await tick();
    expect(transport.published.map((p) => p.text)).toEqual(['123456', '7890ab']); // nothing read meanwhile
    transport.send('ctl', { ack: 99 }); // more than was sent: ignored
    transport.send('ctl', { ack: 'x' });
    expect(session.holding).toBe(true);
    transport.send('ctl', { ack: 6 }); // 6 unacknowledged: under the window
    expect(session.holding).toBe(false);
    await tick();
    expect(transport.published.map((p) => p.text)).toEqual(['123456', '7890ab', 'later']);
  });

  it('a held session that is closed lets the rest of the output through, so its exit is read', async () => {
    const { process, transport, session } = makeSession({ windowBytes: 4096 });
    process.stdout.write(Buffer.alloc(5000, 1));
    await tick();
    expect(session.holding).toBe(true);
    session.close();
    await session.finished;
    expect(transport.published.at(-1)).toMatchObject({ stream: 'exit', text: '{"exitCode":137}' });
  });

  it('with a terminal everything is stdout', async () => {
    const { process, transport, session } = makeSession({ tty: true });
    process.stderr.write('err');
    await tick();
    process.exit({ exitCode: 0 });
    await session.finished;
    expect(transport.published.map((p) => p.stream)).toEqual(['stdout', 'exit']);
  });

  it('reports a process that could not run as exitCode -1 with the error', async () => {
    const { process, transport, session } = makeSession();
    process.exit({ exitCode: -1, error: 'exec: executable file not found' });
    await session.finished;
    expect(JSON.parse(transport.published.at(-1)!.text)).toEqual({ exitCode: -1, error: 'exec: executable file not found' });
  });

  it('passes stdin bytes on, and Silo-Stdin: eof closes stdin', async () => {
    const { process, transport } = makeSession();
    transport.send('in', 'echo hi\n');
    transport.send('in', '', { 'Silo-Stdin': 'eof' });
    expect(process.input).toEqual(['echo hi\n']);
    expect(process.inputEnded).toBe(true);
  });

  it('obeys control messages: resize (with a terminal), signal, close; ignores what it does not understand', async () => {
    const { process, transport, session } = makeSession({ tty: true });
    transport.send('ctl', { resize: { cols: 120, rows: 40 } });
    transport.send('ctl', { resize: { cols: 0, rows: 40 } });
    transport.send('ctl', { signal: 'SIGINT' });
    transport.send('ctl', { signal: 'bad signal' });
    transport.send('ctl', 'not json');
    transport.send('ctl', { keepalive: true });
    expect(process.calls).toEqual(['resize 120 40', 'signal SIGINT']);
    transport.send('ctl', { close: true });
    await session.finished;
    expect(process.calls).toEqual(['resize 120 40', 'signal SIGINT', 'kill']);
    expect(transport.published.at(-1)).toEqual({ subject: '_INBOX.out', stream: 'exit', text: '{"exitCode":137}' });
  });

  it('without a terminal, resize does nothing', () => {
    const { process, transport } = makeSession({ tty: false });
    transport.send('ctl', { resize: { cols: 120, rows: 40 } });
    expect(process.calls).toEqual([]);
  });

  it('kills the process after idleTimeoutMs without input or control; each message restarts the clock', async () => {
    jest.useFakeTimers();
    try {
      const { process, transport } = makeSession({ idleTimeoutMs: 1000 });
      jest.advanceTimersByTime(800);
      transport.send('ctl', { keepalive: true });
      jest.advanceTimersByTime(800);
      transport.send('in', 'x');
      jest.advanceTimersByTime(800);
      expect(process.calls).toEqual([]);
      jest.advanceTimersByTime(300);
      expect(process.calls).toEqual(['kill']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ExecSessions', () => {
  const request = (extra: Partial<ExecOpenRequest> = {}): ExecOpenRequest => ({ taskId: 't1', command: ['sh'], outputSubject: '_INBOX.abc', tty: true, ...extra });

  function makeSessions() {
    const processes: Array<{ id: string; command: string[]; options: InteractiveExecOptions; process: FakeProcess }> = [];
    const runtime = {
      spawnExec: (id: string, command: string[], options: InteractiveExecOptions) => {
        const process = new FakeProcess();
        processes.push({ id, command, options, process });
        return process;
      },
    } as unknown as ContainerRuntime;
    const transport = new FakeTransport();
    const sessions = new ExecSessions(runtime, transport);
    cleanups.push(() => sessions.onApplicationShutdown());
    return { sessions, processes, transport };
  }

  it('starts the process in the container and names the subjects it listens on', () => {
    const { sessions, processes, transport } = makeSessions();
    const reply = sessions.open('node-1', 't1', request({ cols: 100, rows: 30, env: { A: 'b' }, user: '1000', workingDir: '/tmp' }));
    expect(reply.stdinSubject).toBe(`silo.agent.node-1.exec.${reply.sessionId}.stdin`);
    expect(reply.controlSubject).toBe(`silo.agent.node-1.exec.${reply.sessionId}.control`);
    expect([...transport.handlers.keys()].sort()).toEqual([reply.controlSubject, reply.stdinSubject].sort());
    expect(processes[0]).toMatchObject({ id: 't1', command: ['sh'], options: { tty: true, cols: 100, rows: 30, env: { A: 'b' }, user: '1000', cwd: '/tmp' } });
    expect(sessions.count).toBe(1);
  });

  it('limits the open sessions with a clear error, and frees a place when one ends', async () => {
    const { sessions, processes } = makeSessions();
    sessions.maxSessions = 2;
    sessions.open('n', 't1', request());
    sessions.open('n', 't1', request());
    expect(() => sessions.open('n', 't1', request())).toThrow(expect.objectContaining({ code: 'TOOMANYREQUESTS', message: expect.stringMatching(/limit is 2/) }));
    processes[0]!.process.exit({ exitCode: 0 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sessions.count).toBe(1);
    expect(() => sessions.open('n', 't1', request())).not.toThrow();
  });

  it('refuses an output subject with wildcards, and an empty command', () => {
    const { sessions } = makeSessions();
    expect(() => sessions.open('n', 't1', request({ command: [] }))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    for (const outputSubject of ['a.*', 'a.>', 'a b', 'a..b']) {
      expect(() => sessions.open('n', 't1', request({ outputSubject }))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('kills every session on shutdown', async () => {
    const { sessions, processes, transport } = makeSessions();
    sessions.open('n', 't1', request());
    sessions.open('n', 't1', request());
    await sessions.onApplicationShutdown();
    expect(processes.map((p) => p.process.calls)).toEqual([['kill'], ['kill']]);
    expect(transport.published.filter((p) => p.stream === 'exit')).toHaveLength(2);
  });
});
