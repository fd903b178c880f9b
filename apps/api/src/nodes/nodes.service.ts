import { Injectable } from '@nestjs/common';
import { ClusterTask, NodeStatusReply, NodeUpdateReply, NodeView, PrincipalView, Subjects, TaskListReply } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { allowed, authorize } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { NodeDetailReply, NodePatch } from './dto/nodes.dto';

/** Nodes as the scheduler sees them. */
@Injectable()
export class NodesService {
  constructor(private readonly rpc: Rpc) {}

  async list(principal: PrincipalView): Promise<NodeStatusReply> {
    authorize(principal, { kind: 'node', access: 'read' });
    return this.rpc.call(Subjects.nodeStatus, {}, NodeStatusReply);
  }

  async get(principal: PrincipalView, nodeId: string): Promise<NodeDetailReply> {
    authorize(principal, { kind: 'node', access: 'read' });
    const [node, tasks] = await Promise.all([this.node(nodeId), this.rpc.call(Subjects.taskList, { nodeId }, TaskListReply)]);
    return { node, tasks: visibleTasks(principal, tasks.tasks) };
  }

  async update(principal: PrincipalView, nodeId: string, patch: NodePatch): Promise<{ node: NodeView }> {
    authorize(principal, { kind: 'node', access: 'write' });
    await this.rpc.call(Subjects.nodeUpdate, { nodeId, ...patch }, NodeUpdateReply);
    return { node: await this.node(nodeId) };
  }

  async node(nodeId: string): Promise<NodeView> {
    const reply = await this.rpc.call(Subjects.nodeStatus, { nodeId }, NodeStatusReply);
    const node = reply.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new SiloError('NOT_FOUND', `no node ${nodeId}`);
    return node;
  }
}

/** The tasks a principal may see: those of services they may read. */
export function visibleTasks(principal: PrincipalView, tasks: ClusterTask[]): ClusterTask[] {
  return tasks.filter((t) => allowed(principal, { kind: 'service', access: 'read', name: t.service, team: t.team }));
}
