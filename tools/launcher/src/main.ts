import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { InstanceLock } from './instance-lock';
import { loadLauncherConfig, LauncherConfig } from './launcher-config';
import { formatLine, prefixFor } from './log-format';
import { ConsoleSink, ManagedProcess } from './managed-process';
import { ensureAgentTools, ensureNatsServer } from './nats-binary';

/** The repository root: dist/tools/launcher/src → four levels up. */
const ROOT = resolve(__dirname, '../../../..');
const SERVICES = ['registry', 'layer-store', 'scheduler', 'api', 'node-agent'] as const;
const NAME_WIDTH = 11;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function makeSink(): ConsoleSink {
  const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
  const order = ['nats', ...SERVICES, 'silo'];
  return {
    line: (name, text) => process.stdout.write(`${prefixFor(name, NAME_WIDTH, order.indexOf(name), color)} ${text}\n`),
    notice: (text) => process.stdout.write(`${prefixFor('silo', NAME_WIDTH, order.length - 1, color)} ${text}\n`),
  };
}

async function waitUntilHealthy(config: LauncherConfig, sink: ConsoleSink, processes: ManagedProcess[]): Promise<void> {
  const credentialsFile = join(config.home, 'admin-credentials.json');
  const deadline = Date.now() + config.readyTimeoutMs;
  let last = 'the api has not answered yet';
  while (Date.now() < deadline) {
    if (processes.some((p) => p.pid === undefined)) return;
    try {
      if (existsSync(credentialsFile)) {
        const creds = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { username: string; password: string; apiUrl: string; registry: string };
        const res = await fetch(`http://127.0.0.1:${config.apiPort}/api/v1/status`, {
          headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` },
          signal: AbortSignal.timeout(5000),
        });
        const report = (await res.json()) as { healthy: boolean; components: Array<{ name: string; state: string }> };
        if (report.healthy) {
          banner(sink, creds, credentialsFile, report.components.length);
          return;
        }
        last = report.components.filter((c) => c.state !== 'healthy').map((c) => `${c.name} ${c.state}`).join(', ');
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(500);
  }
  sink.notice(`not healthy after ${config.readyTimeoutMs / 1000}s: ${last}. Still running; see npx silo status and ${join(config.home, 'logs')}.`);
}

function banner(sink: ConsoleSink, creds: { username: string; password: string; apiUrl: string; registry: string }, file: string, count: number) {
  const lines = [
    `Silo is up: ${count} components healthy.`,
    `  dashboard: ${creds.apiUrl}/`,
    `  api:       ${creds.apiUrl}/api/v1  (OpenAPI: ${creds.apiUrl}/api/docs)`,
    `  registry:  ${creds.registry}`,
    `  username:  ${creds.username}`,
    `  password:  ${creds.password}`,
    `  (saved in ${file}, mode 0600)`,
    `Check it with: npx silo status      Stop it with: Ctrl-C`,
  ];
  for (const line of lines) sink.notice(line);
}

async function main(): Promise<void> {
  const sink = makeSink();
  const config = loadLauncherConfig();
  for (const service of SERVICES) {
    if (!existsSync(join(ROOT, 'dist', 'apps', service, 'src', 'main.js'))) {
      throw new Error(`dist/apps/${service} is missing: run npm run build (npm start does it)`);
    }
  }
  mkdirSync(join(config.home, 'logs'), { recursive: true, mode: 0o700 });
  const lock = new InstanceLock(config.home);
  for (const pid of lock.acquire()) {
    sink.notice(`stopping process ${pid} left over from a launcher that did not exit cleanly`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  sink.notice(`starting Silo with SILO_HOME=${config.home}`);

  const processes: ManagedProcess[] = [];
  const logDir = join(config.home, 'logs');
  const track = (p: ManagedProcess) => {
    processes.push(p);
    const child = p.start();
    if (child.pid) lock.setChild(p.spec.name, child.pid);
    p.onRestart = (pid) => lock.setChild(p.spec.name, pid);
    return p;
  };

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      sink.notice(`${signal} again: killing everything now`);
      processes.forEach((p) => p.kill());
      lock.release();
      process.exit(130);
    }
    stopping = true;
    sink.notice(`${signal}: stopping Silo (Ctrl-C again to kill at once)`);
    const services = processes.filter((p) => p.spec.name !== 'nats');
    await Promise.all(services.map((p) => p.stop(15_000)));
    await Promise.all(processes.filter((p) => p.spec.name === 'nats').map((p) => p.stop(10_000)));
    lock.release();
    sink.notice('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  ensureAgentTools((line) => sink.notice(line));
  let natsUrl = config.externalNatsUrl;
  if (natsUrl) {
    sink.notice(`using the NATS at ${natsUrl} (SILO_NATS_URL)`);
  } else {
    const binary = ensureNatsServer((line) => sink.notice(line));
    if (await portOpen(config.natsPort)) {
      throw new Error(`port ${config.natsPort} is already in use: set SILO_NATS_PORT to a free port, or SILO_NATS_URL to use that NATS`);
    }
    track(
      new ManagedProcess(
        {
          name: 'nats',
          command: binary,
          args: ['-a', '127.0.0.1', '-p', String(config.natsPort), '-n', 'silo', '-js', '-sd', join(config.home, 'nats')],
          env: process.env,
          restart: true,
        },
        logDir,
        sink,
        (line) => line,
      ),
    );
    natsUrl = `nats://127.0.0.1:${config.natsPort}`;
  }

  const env = {
    ...process.env,
    SILO_HOME: config.home,
    SILO_NATS_URL: natsUrl,
    SILO_REGISTRY_PORT: String(config.registryPort),
    // where the node agent pulls unqualified references (`shop/web:v1`) from: this registry
    SILO_REGISTRY_URL: process.env['SILO_REGISTRY_URL'] || `http://127.0.0.1:${config.registryPort}`,
    SILO_LAYER_STORE_PORT: String(config.layerStorePort),
    SILO_LAYER_STORE_URL: `http://127.0.0.1:${config.layerStorePort}`,
    SILO_API_PORT: String(config.apiPort),
    SILO_PARENT_PID: String(process.pid),
  };
  for (const service of SERVICES) {
    track(
      new ManagedProcess(
        {
          name: service,
          command: process.execPath,
          args: ['--enable-source-maps', join(ROOT, 'dist', 'apps', service, 'src', 'main.js')],
          env,
          restart: true,
        },
        logDir,
        sink,
        formatLine,
      ),
    );
  }
  await waitUntilHealthy(config, sink, processes);
}

main().catch((err: unknown) => {
  process.stderr.write(`silo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
