import { Injectable } from '@nestjs/common';
import { NodeStatusReply, NodeStatusRequest, TaskListReply, TaskListRequest } from '@silo/contracts';
import { NodeRepository } from '../nodes/node.repository';
import { OrchestratorService } from './orchestrator.service';
import { clusterTasks, nodeViews } from './views';

/**
 * The leader's live picture for the api: nodes (the model joined with the node registry) and the
 * cluster's tasks. Answered by the leader, which holds the model (see LeaderForwarding).
 */
@Injectable()
export class ClusterViewsService {
  constructor(
    private readonly orchestrator: OrchestratorService,
    private readonly nodes: NodeRepository,
  ) {}

  async nodeStatus(request: NodeStatusRequest): Promise<NodeStatusReply> {
    await this.orchestrator.ready();
    const registry = request.nodeId === undefined ? await this.nodes.list() : [await this.nodes.find(request.nodeId)].filter((n) => n !== null);
    return { nodes: nodeViews(this.orchestrator.model, registry, request.nodeId) };
  }

  async taskList(request: TaskListRequest): Promise<TaskListReply> {
    await this.orchestrator.ready();
    return { tasks: clusterTasks(this.orchestrator.model, { service: request.service, nodeId: request.nodeId, taskId: request.taskId }) };
  }
}
