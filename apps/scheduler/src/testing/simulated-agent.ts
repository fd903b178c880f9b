import { AgentTaskSetReply, AgentTaskSetRequest, NodeHeartbeatEvent, NodeRegisterReply, NodeRegisterRequest, Subjects, TaskState, TaskStatus } from '@silo/contracts';
import { answerRequest, NatsClient, NatsConnectionService } from '@silo/messaging';
import type { Subscription } from 'nats';

export interface SimulatedAgentOptions {
  nodeId: string;
  hostname: string;
  arch?: string;
  agentVersion?: string;
  capacity: { cpuMillis: number; memoryBytes: number; pids: number };
  labels?: Record<string, string>;
  heartbeatMs?: number;
}

/**
 * A node agent that speaks the agent's real protocol over real NATS (registration, full desired
 * sets on `silo.agent.<id>.tasks.set`, task-state events, heartbeats) but runs no containers:
 * every task it is given runs at once, every task taken away is removed. For scheduler tests that
 * need several nodes and control over their heartbeats.
 */
export class SimulatedAgent {
  readonly tasks = new Map<string, TaskState>();
  private generation = 0;
  private sequence = 0;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private readonly client: NatsClient;

  constructor(
    private readonly connection: NatsConnectionService,
    readonly options: SimulatedAgentOptions,
  ) {
    this.client = new NatsClient(connection, 5000);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Listens for its task sets, registers with JOINTOKEN and starts heartbeating. */
  async join(joinToken: string): Promise<NodeRegisterReply> {
    const nc = await this.connection.ready();
    this.subscription ??= nc.subscribe(Subjects.agentTasksSet(this.nodeId), {
      callback: (_err, msg) => void answerRequest(msg.data, async (data) => this.apply(data as AgentTaskSetRequest)).then((reply) => msg.respond(reply)),
    });
    const request: NodeRegisterRequest = {
      nodeId: this.nodeId,
      hostname: this.options.hostname,
      agentVersion: this.options.agentVersion ?? '0.0.0-sim',
      platform: { os: 'linux', arch: this.options.arch ?? 'amd64' },
      kernel: '6.1.0-sim',
      cgroupMode: 'v2',
      capacity: { cpuMillis: this.options.capacity.cpuMillis, memoryBytes: this.options.capacity.memoryBytes },
      labels: this.options.labels ?? {},
      joinToken,
    };
    const reply = await this.client.request(Subjects.nodeRegister, request, { reply: NodeRegisterReply });
    this.startHeartbeats();
    return reply;
  }

  startHeartbeats(): void {
    if (this.timer) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.heartbeatMs ?? 200);
  }

  /** The node goes silent (as a crashed host or a cut network would). */
  stopHeartbeats(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stopHeartbeats();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private apply(request: AgentTaskSetRequest): AgentTaskSetReply {
    if (request.generation < this.generation) return { generation: request.generation, applied: false, tasks: this.statuses() };
    this.generation = request.generation;
    const wanted = new Set(request.tasks.map((t) => t.taskId));
    for (const taskId of [...this.tasks.keys()]) {
      if (wanted.has(taskId)) continue;
      this.tasks.delete(taskId);
      this.report(taskId, 'removed');
    }
    for (const taskId of wanted) {
      if (this.tasks.has(taskId)) continue;
      this.tasks.set(taskId, 'running');
      this.report(taskId, 'running');
    }
    return { generation: request.generation, applied: true, tasks: this.statuses() };
  }

  private status(taskId: string, state: TaskState): TaskStatus {
    return { nodeId: this.nodeId, taskId, state, at: new Date().toISOString(), restarts: 0 };
  }

  private statuses(): TaskStatus[] {
    return [...this.tasks].map(([taskId, state]) => this.status(taskId, state));
  }

  private report(taskId: string, state: TaskState): void {
    this.publish(Subjects.taskStateEvent, this.status(taskId, state));
  }

  private beat(): void {
    const beat: NodeHeartbeatEvent = {
      nodeId: this.nodeId,
      at: new Date().toISOString(),
      sequence: this.sequence++,
      generation: this.generation,
      capacity: this.options.capacity,
      allocatable: this.options.capacity,
      labels: this.options.labels ?? {},
      images: [],
      tasks: [...this.tasks].map(([taskId, state]) => ({ taskId, state })),
    };
    this.publish(Subjects.heartbeatEvent, beat);
  }

  private publish(subject: string, payload: object): void {
    try {
      this.client.publish(subject, payload);
    } catch {
      // disconnected: the next beat tries again
    }
  }
}
