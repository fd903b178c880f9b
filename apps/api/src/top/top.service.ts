import { Injectable } from '@nestjs/common';
import { AgentStatsReply, NodeStatusReply, NodeView, PrincipalView, Subjects, TaskListReply, TaskStats } from '@silo/contracts';
import { allowed, authorize } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { ApiConfig } from '../config/api.config';
import { TopNode, TopReply, TopService } from './dto/top.dto';

const STATS_TIMEOUT_MS = 2000;

type Sample = { at: number; stats: Map<string, TaskStats> } | { error: string };

/**
 * Live usage: every ready node's agent is asked for its tasks' cgroup counters twice,
 * `topSampleMs` apart; CPU is the difference of the two `cpuUsageNs` readings over the wall time
 * between them (so each call stands alone: no state kept between calls).
 */
@Injectable()
export class TopUsageService {
  constructor(
    private readonly rpc: Rpc,
    private readonly config: ApiConfig,
  ) {}

  async top(principal: PrincipalView): Promise<TopReply> {
    authorize(principal, { kind: 'node', access: 'read' });
    const [{ nodes }, { tasks }] = await Promise.all([this.rpc.call(Subjects.nodeStatus, {}, NodeStatusReply), this.rpc.call(Subjects.taskList, {}, TaskListReply)]);
    const ready = nodes.filter((n) => n.state === 'ready');
    const first = await Promise.all(ready.map((n) => this.sample(n)));
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, this.config.topSampleMs));
    const second = await Promise.all(ready.map((n) => this.sample(n)));
    const intervalMs = Math.max(1, Date.now() - started);

    const serviceOf = new Map(tasks.map((t) => [t.taskId, t]));
    const services = new Map<string, TopService>();
    const nodeRows: TopNode[] = nodes.map((node) => this.emptyRow(node));
    ready.forEach((node, i) => {
      const row = nodeRows.find((r) => r.nodeId === node.nodeId)!;
      const a = first[i]!;
      const b = second[i]!;
      if ('error' in b || 'error' in a) {
        row.error = 'error' in b ? b.error : (a as { error: string }).error;
        return;
      }
      const wallNs = Math.max(1, (b.at - a.at) * 1e6);
      for (const [taskId, now] of b.stats) {
        const before = a.stats.get(taskId);
        const cpuFraction = before ? Math.max(0, now.cpuUsageNs - before.cpuUsageNs) / wallNs : 0;
        row.cpuMillis += Math.round(cpuFraction * 1000);
        row.memoryBytes += now.memoryBytes;
        row.tasks += 1;
        const task = serviceOf.get(taskId);
        const name = task?.service ?? taskId.split('.')[0]!;
        const entry = services.get(name) ?? { name, team: task?.team, tasks: 0, cpuPercent: 0, memoryBytes: 0, pids: 0 };
        entry.tasks += 1;
        entry.cpuPercent += cpuFraction * 100;
        entry.memoryBytes += now.memoryBytes;
        entry.pids += now.pids;
        services.set(name, entry);
      }
    });
    return {
      nodes: nodeRows,
      services: [...services.values()]
        .filter((s) => allowed(principal, { kind: 'service', access: 'read', name: s.name, team: s.team }))
        .map((s) => ({ ...s, cpuPercent: Math.round(s.cpuPercent * 10) / 10 }))
        .sort((x, y) => y.cpuPercent - x.cpuPercent || x.name.localeCompare(y.name)),
      intervalMs,
    };
  }

  private emptyRow(node: NodeView): TopNode {
    return { nodeId: node.nodeId, hostname: node.hostname, state: node.state, cpuMillis: 0, memoryBytes: 0, capacity: node.capacity, tasks: 0 };
  }

  private async sample(node: NodeView): Promise<Sample> {
    try {
      const reply = await this.rpc.call(Subjects.agentStats(node.nodeId), {}, AgentStatsReply, STATS_TIMEOUT_MS);
      return { at: Date.now(), stats: new Map(reply.tasks.map((t) => [t.taskId, t])) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
}
