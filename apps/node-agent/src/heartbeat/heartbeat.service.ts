import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeHeartbeatEvent, Subjects } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { readFileSync } from 'node:fs';
import { NodeAgentConfig } from '../config/node-agent.config';
import { HostInfo } from '../host/host-info';
import { ImageInventory } from '../tasks/task-ports';
import { TaskSetService } from '../tasks/task-set.service';

const LIVE_STATES = new Set(['pulling', 'starting', 'running', 'stopping']);
const INVENTORY_REFRESH_MS = 5000;

function pidMax(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * Publishes what the scheduler needs every interval (1 s by default): capacity and what is left
 * of it after the tasks' limits, labels, the images and layers present (image locality) and the
 * tasks with their states. Missing heartbeats are how the scheduler notices a lost node.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private sequence = 0;
  private inventory?: { at: number; images: NodeHeartbeatEvent['images'] };

  constructor(
    private readonly config: NodeAgentConfig,
    private readonly host: HostInfo,
    private readonly tasks: TaskSetService,
    private readonly images: ImageInventory,
    private readonly nats: NatsClient,
    private readonly connection: NatsConnectionService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async heartbeat(): Promise<NodeHeartbeatEvent> {
    const facts = this.host.facts();
    const capacity = { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes, pids: pidMax() };
    const used = { cpuMillis: 0, memoryBytes: 0, pids: 0 };
    const statuses = this.tasks.statuses();
    for (const status of statuses) {
      if (!LIVE_STATES.has(status.state)) continue;
      const resources = this.tasks.supervisor(status.taskId)?.spec.resources;
      used.cpuMillis += resources?.cpuMillis ?? 0;
      used.memoryBytes += resources?.memoryBytes ?? 0;
      used.pids += resources?.pids ?? 0;
    }
    return {
      nodeId: this.tasks.nodeId,
      at: new Date().toISOString(),
      sequence: this.sequence++,
      generation: Math.max(0, this.tasks.currentGeneration),
      capacity,
      allocatable: {
        cpuMillis: Math.max(0, capacity.cpuMillis - used.cpuMillis),
        memoryBytes: Math.max(0, capacity.memoryBytes - used.memoryBytes),
        pids: Math.max(0, capacity.pids - used.pids),
      },
      labels: this.config.labelMap,
      images: await this.imageInventory(),
      tasks: statuses.map((s) => ({ taskId: s.taskId, state: s.state, ...(s.health ? { health: s.health } : {}) })),
    };
  }

  /** The images present, read from disk at most every few seconds rather than every beat. */
  private async imageInventory(): Promise<NodeHeartbeatEvent['images']> {
    const now = Date.now();
    if (!this.inventory || now - this.inventory.at >= INVENTORY_REFRESH_MS) {
      this.inventory = { at: now, images: await this.images.inventory() };
    }
    return this.inventory.images;
  }

  private async beat(): Promise<void> {
    if (!this.connection.isConnected()) return;
    try {
      this.nats.publish(Subjects.heartbeatEvent, await this.heartbeat());
    } catch {
      // the next beat tries again
    }
  }
}
