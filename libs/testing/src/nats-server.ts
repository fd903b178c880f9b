import { findExecutable } from './find-executable';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { stopProcess, track } from './child-processes';
import { freePort } from './free-port';
import { makeTempDir, TempDir } from './temp-dir';
import { waitFor } from './wait-for';

export interface NatsServerHandle {
  url: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its store. */
  stop(): Promise<void>;
  /** Kills the server now, keeping the port and store, so `start()` can bring it back. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsServerOptions {
  jetstream?: boolean;
  port?: number;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A real nats-server on a free loopback port, for integration tests. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findExecutable('nats-server');
  if (!binary) throw new Error('nats-server is not installed: apt-get install nats-server (the test setup in .ci/run does it)');
  let port = options.port ?? (await freePort());
  let store: TempDir | undefined = options.jetstream ? await makeTempDir('silo-nats-') : undefined;
  let child: ReturnType<typeof spawn> | undefined;

  // Ready means OUR server says so: an open port may belong to another test's server that took the
  // same free port first (then ours exits with "address already in use").
  const start = async () => {
    const args = ['-a', '127.0.0.1', '-p', String(port)];
    if (store) args.push('-js', '-sd', join(store.path, 'js'));
    child = track(spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const current = child;
    await waitFor(
      async () => {
        if (current.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
        return /Server is ready/.test(stderr) && (await portOpen(port));
      },
      { timeoutMs: 10_000, description: `nats-server on port ${port}` },
    );
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      const taken = err instanceof Error && /address already in use/i.test(err.message);
      if (!taken || options.port !== undefined || attempt >= 5) throw err;
      port = await freePort();
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    async stop() {
      if (child) await stopProcess(child);
      await store?.cleanup();
      store = undefined;
    },
    async kill() {
      if (child) await stopProcess(child, 0, 'SIGKILL');
    },
    start,
  };
}
