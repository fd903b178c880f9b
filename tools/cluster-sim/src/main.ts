/**
 * `node dist/tools/cluster-sim/src/main.js --nodes 1000 --nats nats://127.0.0.1:4222`: simulated
 * node agents for a real scheduler (see tools/cluster-sim/README.md). Status lines go to stderr
 * every few seconds; lines on stdin `kill <nodeId>`, `revive <nodeId>`, `counts` act at once.
 * SIGINT / SIGTERM stop it.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SimulatedClusterOptions, startSimulatedCluster } from './simulator';

const USAGE = `usage: cluster-sim --nats nats://HOST:PORT [options]
  --nodes N              simulated nodes (default 10)
  --prefix P             node ids P-0000… (default sim)
  --cpu MILLIS           CPU per node in millicores (default 8000)
  --memory SIZE          memory per node: bytes or 512Mi / 32Gi (default 32Gi)
  --zones a,b,c          label zone=<one of them>, round robin
  --labels k=v,k=v       labels of every node
  --heartbeat-ms MS      heartbeat period (default 1000)
  --pull-ms MS --start-ms MS --stop-ms MS   transition delays (defaults 20, 20, 10)
  --jitter F             delay jitter fraction (default 0.5)
  --images a,b           images every node already has
  --subscriptions wildcard|per-node   (default wildcard)
  --connections N        NATS connections (default 1)
  --status-ms MS         status line period on stderr (default 5000; 0: none)`;

function size(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

function int(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got ${text}`);
  return n;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean);
}

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nats: { type: 'string' },
      nodes: { type: 'string' },
      prefix: { type: 'string' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      zones: { type: 'string' },
      labels: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'pull-ms': { type: 'string' },
      'start-ms': { type: 'string' },
      'stop-ms': { type: 'string' },
      jitter: { type: 'string' },
      images: { type: 'string' },
      subscriptions: { type: 'string' },
      connections: { type: 'string' },
      'status-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    err(USAGE);
    return;
  }
  const natsUrl = values.nats ?? process.env['SILO_NATS_URL'];
  if (!natsUrl) throw new Error(`--nats is required\n${USAGE}`);
  if (values.subscriptions && values.subscriptions !== 'wildcard' && values.subscriptions !== 'per-node') throw new Error('--subscriptions must be wildcard or per-node');
  const labels = Object.fromEntries(
    (list(values.labels) ?? []).map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`--labels: "${kv}" is not key=value`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
  const options: SimulatedClusterOptions = {
    natsUrl,
    nodes: int(values.nodes, 'nodes'),
    nodeIdPrefix: values.prefix,
    cpuMillis: int(values.cpu, 'cpu'),
    memoryBytes: values.memory ? size(values.memory) : undefined,
    zones: list(values.zones),
    labels,
    heartbeatIntervalMs: int(values['heartbeat-ms'], 'heartbeat-ms'),
    pullDelayMs: int(values['pull-ms'], 'pull-ms'),
    startDelayMs: int(values['start-ms'], 'start-ms'),
    stopDelayMs: int(values['stop-ms'], 'stop-ms'),
    jitter: int(values.jitter, 'jitter'),
    preloadedImages: list(values.images),
    subscriptions: values.subscriptions as SimulatedClusterOptions['subscriptions'],
    connections: int(values.connections, 'connections'),
    log: err,
  };
  for (const key of Object.keys(options) as (keyof SimulatedClusterOptions)[]) if (options[key] === undefined) delete options[key];
  const sim = await startSimulatedCluster(options);
  err(`cluster-sim: ${sim.nodes.length} nodes on ${natsUrl} (${sim.nodes[0]?.id} … ${sim.nodes.at(-1)?.id})`);
  const status = () => {
    const c = sim.counts();
    const states = Object.entries(c.tasks)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    err(`cluster-sim: ${c.alive}/${c.nodes} alive, ${c.registered} registered; tasks: ${states || 'none'}; sets ${c.setsReceived}, events ${c.stateEvents}, heartbeats ${c.heartbeats}`);
  };
  const statusMs = int(values['status-ms'], 'status-ms') ?? 5000;
  const timer = statusMs > 0 ? setInterval(status, statusMs) : undefined;
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [command, id] = line.trim().split(/\s+/);
    try {
      if (command === 'kill' && id) void sim.kill(id);
      else if (command === 'revive' && id) void sim.revive(id);
      else if (command === 'counts') process.stdout.write(`${JSON.stringify(sim.counts())}\n`);
      else if (command) err(`cluster-sim: unknown command "${line.trim()}" (kill <id>, revive <id>, counts)`);
    } catch (e) {
      err(`cluster-sim: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    rl.close();
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  err(`cluster-sim: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
