import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  AgentExecReply,
  AgentExecRequest,
  AgentLogsReply,
  AgentLogsRequest,
  AgentStatsReply,
  AgentStatsRequest,
  AgentTaskListReply,
  AgentTaskListRequest,
  AgentTaskSetReply,
  AgentTaskSetRequest,
  ExecOpenReply,
  ExecOpenRequest,
  Subjects,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsClient } from '@silo/messaging';
import { ExecSessions } from '../exec/exec-sessions';
import { ContainerLogReader } from '../logs/container-log.reader';
import { ContainerRuntime } from '../runtime/container-runtime';
import { TaskSetService } from '../tasks/task-set.service';
import { AgentRpcServer } from './agent-rpc.server';

const DEFAULT_FOLLOW_MS = 10 * 60_000;

/** The commands and queries addressed to this node: desired set, task list, logs, exec, stats. */
@Injectable()
export class AgentCommands implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly follows = new Set<AbortController>();

  constructor(
    private readonly server: AgentRpcServer,
    private readonly tasks: TaskSetService,
    private readonly runtime: ContainerRuntime,
    private readonly nats: NatsClient,
    private readonly sessions: ExecSessions,
  ) {}

  onApplicationBootstrap(): void {
    const node = this.tasks.nodeId;
    this.server.handle(Subjects.agentTasksSet(node), AgentTaskSetRequest, async (request): Promise<AgentTaskSetReply> => this.tasks.apply(request));
    this.server.handle(Subjects.agentTasksList(node), AgentTaskListRequest, async (): Promise<AgentTaskListReply> => ({
      generation: this.tasks.currentGeneration,
      tasks: this.tasks.statuses(),
    }));
    this.server.handle(Subjects.agentLogs(node), AgentLogsRequest, (request) => this.logs(request));
    this.server.handle(Subjects.agentExec(node), AgentExecRequest, (request) => this.exec(request));
    this.server.handle(Subjects.agentExecOpen(node), ExecOpenRequest, (request) => this.execOpen(request));
    this.server.handle(Subjects.agentStats(node), AgentStatsRequest, (request) => this.stats(request));
  }

  onApplicationShutdown(): void {
    for (const follow of this.follows) follow.abort();
  }

  private task(taskId: string) {
    const supervisor = this.tasks.supervisor(taskId);
    if (!supervisor) throw new SiloError('NOT_FOUND', `no task ${taskId} on node ${this.tasks.nodeId}`);
    return supervisor;
  }

  private async logs(request: AgentLogsRequest): Promise<AgentLogsReply> {
    this.task(request.taskId);
    const reader = new ContainerLogReader(this.tasks.containerLayout().logFile(request.taskId));
    const { lines, offset } = await reader.read({ tail: request.tail, since: request.since });
    if (request.followSubject) {
      const subject = request.followSubject;
      const controller = new AbortController();
      this.follows.add(controller);
      const timer = setTimeout(() => controller.abort(), request.followMs ?? DEFAULT_FOLLOW_MS);
      const unsubscribe = this.tasks.onStatus((status) => {
        if (status.taskId === request.taskId && status.state === 'removed') controller.abort();
      });
      void reader
        .follow(offset, (batch) => this.nats.publish(subject, { taskId: request.taskId, lines: batch } satisfies AgentLogsReply), controller.signal)
        .finally(() => {
          clearTimeout(timer);
          unsubscribe();
          this.follows.delete(controller);
          try {
            this.nats.publish(subject, { taskId: request.taskId, lines: [], end: true } satisfies AgentLogsReply);
          } catch {
            // disconnected
          }
        });
    }
    return { taskId: request.taskId, lines };
  }

  private runningTask(taskId: string) {
    const supervisor = this.task(taskId);
    if (supervisor.status.state !== 'running') {
      throw new SiloError('CONFLICT', `task ${taskId} is ${supervisor.status.state}, not running`);
    }
    return supervisor;
  }

  private async exec(request: AgentExecRequest): Promise<AgentExecReply> {
    this.runningTask(request.taskId);
    return this.runtime.exec(request.taskId, request.command, {
      env: request.env,
      user: request.user,
      cwd: request.workingDir,
      timeoutMs: request.timeoutMs ?? 60_000,
    });
  }

  /** An interactive session (exec-session contract): the reply names its stdin and control subjects. */
  private async execOpen(request: ExecOpenRequest): Promise<ExecOpenReply> {
    this.runningTask(request.taskId);
    return this.sessions.open(this.tasks.nodeId, request.taskId, request);
  }

  private async stats(request: AgentStatsRequest): Promise<AgentStatsReply> {
    const supervisors = request.taskId ? [this.task(request.taskId)] : this.tasks.statuses().map((s) => this.task(s.taskId));
    const reader = this.tasks.cgroupReader();
    const tasks = await Promise.all(
      supervisors
        .filter((s) => s.status.state === 'running')
        .map(async (s) => {
          const usage = await reader.read(s.cgroupPath);
          return {
            taskId: s.id,
            cpuUsageNs: usage.cpuUsageNs,
            memoryBytes: usage.memoryBytes,
            memoryLimitBytes: usage.memoryLimitBytes,
            pids: usage.pids,
            pidsLimit: usage.pidsLimit,
          };
        }),
    );
    return { tasks };
  }
}
