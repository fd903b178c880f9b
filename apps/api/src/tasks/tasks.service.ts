import { Injectable } from '@nestjs/common';
import { AgentExecReply, ClusterTask, PrincipalView, Subjects, TaskListReply } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { authorize } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { visibleTasks } from '../nodes/nodes.service';
import { ExecBody } from './dto/tasks.dto';

/** Tasks of the whole cluster, as the scheduler sees them; exec goes to the task's agent. */
@Injectable()
export class TasksService {
  constructor(private readonly rpc: Rpc) {}

  async list(principal: PrincipalView, filter: { service?: string; node?: string }): Promise<TaskListReply> {
    const { tasks } = await this.rpc.call(Subjects.taskList, { service: filter.service, nodeId: filter.node }, TaskListReply);
    return { tasks: visibleTasks(principal, tasks) };
  }

  /** One task, if the principal may do ACCESS to its service. */
  async get(principal: PrincipalView, taskId: string, access: 'read' | 'write' = 'read'): Promise<ClusterTask> {
    const { tasks } = await this.rpc.call(Subjects.taskList, { taskId }, TaskListReply);
    const task = tasks.find((t) => t.taskId === taskId);
    if (!task) throw new SiloError('NOT_FOUND', `no task ${taskId}`);
    authorize(principal, { kind: 'service', access, name: task.service, team: task.team });
    return task;
  }

  /** The node a task runs on (CONFLICT when it is not placed). */
  nodeOf(task: ClusterTask): string {
    if (!task.nodeId) throw new SiloError('CONFLICT', `task ${task.taskId} is ${task.state}: it has no node yet`);
    return task.nodeId;
  }

  /** Exec changes the container: it needs write access to the workload. */
  async exec(principal: PrincipalView, taskId: string, body: ExecBody): Promise<AgentExecReply> {
    const task = await this.get(principal, taskId, 'write');
    const timeoutMs = body.timeoutMs ?? 60_000;
    // The agent's own timeout ends the command; the request waits a little longer for its answer.
    return this.rpc.call(Subjects.agentExec(this.nodeOf(task)), { taskId, ...body, timeoutMs }, AgentExecReply, timeoutMs + 5000);
  }
}
