import { AgentTaskListReply, AgentTaskSetReply, AgentTaskSpec, isRpcErrorBody, Subjects, TaskStatus, validateContract } from '@silo/contracts';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect, NatsConnection, StringCodec, Subscription } from 'nats';
import { stopProcess, track } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const codec = StringCodec();

/** A request in Silo's wire format (Nest's envelope); the reply validated against its contract. */
export async function natsRequest<R extends object>(nc: NatsConnection, subject: string, data: object, reply: new () => R, timeoutMs = 15_000): Promise<R> {
  const message = await nc.request(subject, codec.encode(JSON.stringify({ pattern: subject, data, id: randomUUID() })), { timeout: timeoutMs });
  const envelope = JSON.parse(codec.decode(message.data)) as { response?: unknown; err?: unknown };
  if (envelope.err) {
    const err = envelope.err;
    throw new Error(isRpcErrorBody(err) ? `${err.code}: ${err.message}` : JSON.stringify(err));
  }
  return validateContract(reply, envelope.response);
}

function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace root above ${from}`);
  }
}

const ROOT = workspaceRoot();
export const AGENT_MAIN = join(ROOT, 'dist/apps/node-agent/src/main.js');
export const SILO_RUNTIME = join(ROOT, 'dist/native/silo-runtime');

export interface AgentProcessOptions {
  home: string;
  natsUrl: string;
  registryUrl: string;
  nodeId: string;
  /** A bridge name and subnet of the test's own, so tests never touch silo0. */
  bridge: string;
  subnet: string;
  env?: Record<string, string>;
}

/**
 * A real node agent (dist/apps/node-agent) as a child process, and a NATS client to drive it the
 * way the scheduler will: desired sets in, task-state events out.
 */
export class AgentProcess {
  child?: ChildProcess;
  output = '';
  readonly events: TaskStatus[] = [];
  nc?: NatsConnection;
  private subscription?: Subscription;
  private generation = 0;

  constructor(readonly options: AgentProcessOptions) {}

  async start(): Promise<void> {
    if (!existsSync(AGENT_MAIN)) throw new Error(`${AGENT_MAIN} is missing: run the build first`);
    const o = this.options;
    const child = track(
      spawn(process.execPath, [AGENT_MAIN], {
        env: {
          ...process.env,
          SILO_HOME: o.home,
          SILO_NATS_URL: o.natsUrl,
          SILO_REGISTRY_URL: o.registryUrl,
          SILO_NODE_ID: o.nodeId,
          SILO_BRIDGE_NAME: o.bridge,
          SILO_NODE_SUBNET: o.subnet,
          SILO_LOG_LEVEL: 'info',
          SILO_HEARTBEAT_INTERVAL_MS: '500',
          SILO_METRICS_PORT: String(await freePort()),
          ...o.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-200_000)));
    child.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-200_000)));
    if (!this.nc) {
      const nc = await connect({ servers: o.natsUrl, name: 'agent-test' });
      this.nc = nc;
      this.subscription = nc.subscribe(Subjects.taskStateEvent, {
        callback: (_err, msg) => {
          const status = (JSON.parse(codec.decode(msg.data)) as { data: TaskStatus }).data;
          if (status.nodeId === o.nodeId) this.events.push(status);
        },
      });
    }
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}:\n${this.output.slice(-5000)}`);
        try {
          await natsRequest(this.nc!, Subjects.agentTasksList(o.nodeId), {}, AgentTaskListReply, 500);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `the agent answering (output:\n${this.output.slice(-3000)})` },
    );
  }

  /** SIGKILL: the agent dies at once; its containers' monitors must keep them running. */
  async kill(): Promise<void> {
    if (this.child) await stopProcess(this.child, 5000, 'SIGKILL');
    this.child = undefined;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 30_000, 'SIGTERM');
    this.child = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    this.subscription?.unsubscribe();
    await this.nc?.drain();
    this.nc = undefined;
  }

  async apply(tasks: AgentTaskSpec[]): Promise<AgentTaskSetReply> {
    this.generation += 1;
    return natsRequest(this.nc!, Subjects.agentTasksSet(this.options.nodeId), { generation: Date.now() * 1000 + this.generation, tasks }, AgentTaskSetReply);
  }

  async request<R extends object>(subject: string, payload: object, reply: new () => R, timeoutMs = 30_000): Promise<R> {
    return natsRequest(this.nc!, subject, payload, reply, timeoutMs);
  }

  async list(): Promise<TaskStatus[]> {
    return (await natsRequest(this.nc!, Subjects.agentTasksList(this.options.nodeId), {}, AgentTaskListReply)).tasks;
  }

  /** Waits until TASKID's latest state satisfies the predicate; returns that status. */
  async waitForTask(taskId: string, predicate: (s: TaskStatus) => boolean, timeoutMs = 30_000): Promise<TaskStatus> {
    return waitFor(
      async () => {
        const status = (await this.list()).find((s) => s.taskId === taskId);
        return status && predicate(status) ? status : undefined;
      },
      { timeoutMs, intervalMs: 100, description: `task ${taskId} (events: ${JSON.stringify(this.events.filter((e) => e.taskId === taskId).slice(-5))})` },
    );
  }
}
