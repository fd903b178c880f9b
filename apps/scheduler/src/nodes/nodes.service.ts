import { Injectable, Logger } from '@nestjs/common';
import { NodeListReply, NodeRegisterReply, NodeRegisterRequest, NodeSummary, Subjects } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';
import { Clock } from '@silo/service-kit';
import { JoinTokensService } from '../join-tokens/join-tokens.service';
import { NodeEntity } from './node.entity';
import { NodeEvents } from './node-events';
import { NodeRepository } from './node.repository';

/** Cluster membership: nodes register (and re-register after restarts) with their capacity. */
@Injectable()
export class NodesService {
  private readonly logger = new Logger(NodesService.name);

  constructor(
    private readonly nodes: NodeRepository,
    private readonly clock: Clock,
    private readonly nats: NatsClient,
    private readonly events: NodeEvents,
    private readonly joinTokens: JoinTokensService,
  ) {}

  async register(request: NodeRegisterRequest): Promise<NodeRegisterReply> {
    const joinToken = await this.joinTokens.admit(request.nodeId, request.joinToken);
    const now = this.clock.now().toISOString();
    const existing = await this.nodes.find(request.nodeId);
    const node: NodeEntity = {
      nodeId: request.nodeId,
      hostname: request.hostname,
      agentVersion: request.agentVersion,
      os: request.platform.os,
      arch: request.platform.arch,
      kernel: request.kernel,
      cgroupMode: request.cgroupMode,
      cpuMillis: request.capacity.cpuMillis,
      memoryBytes: request.capacity.memoryBytes,
      labels: request.labels,
      firstSeenAt: existing?.firstSeenAt ?? now,
      lastRegisteredAt: now,
      availability: existing?.availability ?? 'active',
      adminLabels: existing?.adminLabels ?? {},
    };
    await this.nodes.save(node);
    await this.joinTokens.recordNode(joinToken, node.nodeId);
    this.events.registered(node);
    this.logger.log(`${existing ? 're-registered' : 'registered new'} node ${node.nodeId} (${node.hostname})`);
    const reply: NodeRegisterReply = { nodeId: node.nodeId, registeredAt: now, firstSeen: !existing };
    this.nats.publish(Subjects.nodeRegisteredEvent, { nodeId: node.nodeId, hostname: node.hostname, firstSeen: !existing });
    return reply;
  }

  async list(): Promise<NodeListReply> {
    const nodes = await this.nodes.list();
    return { nodes: nodes.map(toSummary) };
  }
}

function toSummary(node: NodeEntity): NodeSummary {
  return {
    nodeId: node.nodeId,
    hostname: node.hostname,
    agentVersion: node.agentVersion,
    platform: { os: node.os, arch: node.arch },
    kernel: node.kernel,
    cgroupMode: node.cgroupMode as NodeSummary['cgroupMode'],
    capacity: { cpuMillis: node.cpuMillis, memoryBytes: node.memoryBytes },
    labels: node.labels,
    firstSeenAt: node.firstSeenAt,
    lastRegisteredAt: node.lastRegisteredAt,
  };
}
