import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ServiceSpec } from '@silo/contracts';
import { DataSource, In } from 'typeorm';
import { NodeEntity } from '../nodes/node.entity';
import { WritePriority, WriteQueue } from '../nodes/write-queue';
import { JOB_FAILURES, ServiceModel, TaskModel } from './model';
import { ServiceEntity, ServiceVersionEntity, TaskEntity } from './orchestrator.entities';

/** Task rows per write-behind transaction. */
const TASK_CHUNK = 500;

export interface StoredState {
  services: ServiceModel[];
  tasks: TaskModel[];
  nodes: NodeEntity[];
}

/** Where the scheduler's state is kept: the seam its logic is tested through. */
export abstract class SchedulerStore {
  abstract load(): Promise<StoredState>;
  abstract saveService(service: ServiceModel): Promise<void>;
  abstract deleteService(serviceId: string): Promise<void>;
  /** One transaction: upserts and deletions of tasks. */
  abstract saveTasks(tasks: TaskModel[], deleted: string[]): Promise<void>;
  abstract saveNodeAdmin(nodeId: string, availability: string, adminLabels: Record<string, string>): Promise<void>;
}

/**
 * TypeORM storage. Writes go one at a time: SQLite has one connection, and two transactions on it
 * at once fail ("cannot start a transaction within a transaction").
 */
@Injectable()
export class TypeOrmSchedulerStore extends SchedulerStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writes: WriteQueue,
  ) {
    super();
  }

  private serialize<T>(work: () => Promise<T>, priority: WritePriority = 'command'): Promise<T> {
    return this.writes.run(work, priority);
  }

  async load(): Promise<StoredState> {
    const [services, versions, tasks, nodes] = await Promise.all([
      this.db.getRepository(ServiceEntity).find(),
      this.db.getRepository(ServiceVersionEntity).find(),
      this.db.getRepository(TaskEntity).find(),
      this.db.getRepository(NodeEntity).find(),
    ]);
    const specs = new Map<string, Map<number, ServiceSpec>>();
    for (const v of versions) {
      const map = specs.get(v.serviceId) ?? new Map<number, ServiceSpec>();
      map.set(v.version, v.spec as ServiceSpec);
      specs.set(v.serviceId, map);
    }
    return {
      services: services.map((s) => ({
        id: s.id,
        name: s.name,
        mode: s.mode as ServiceModel['mode'],
        version: s.version,
        previousVersion: s.previousVersion ?? undefined,
        specs: specs.get(s.id) ?? new Map(),
        rollout: s.rollout as ServiceModel['rollout'],
        rolloutMessage: s.rolloutMessage ?? undefined,
        createdMs: s.createdMs,
        updatedMs: s.updatedMs,
        failures: s.jobFailures > 0 ? new Map([[JOB_FAILURES, { count: s.jobFailures, retryAtMs: 0 }]]) : new Map(),
        ...(s.lastExitCode !== null ? { lastExitCode: s.lastExitCode } : {}),
      })),
      tasks: tasks.map((t) => ({
        taskId: t.taskId,
        serviceId: t.serviceId,
        slot: t.slot,
        version: t.version,
        nodeId: t.nodeId ?? undefined,
        desired: t.desired as TaskModel['desired'],
        state: t.state as TaskModel['state'],
        createdMs: t.createdMs,
        updatedMs: t.updatedMs,
        ...((t.details ?? {}) as Partial<TaskModel>),
      })),
      nodes,
    };
  }

  saveService(service: ServiceModel): Promise<void> {
    return this.serialize(() => this.writeService(service));
  }

  private async writeService(service: ServiceModel): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(ServiceEntity).save({
        id: service.id,
        name: service.name,
        mode: service.mode,
        version: service.version,
        previousVersion: service.previousVersion ?? null,
        rollout: service.rollout,
        rolloutMessage: service.rolloutMessage ?? null,
        createdMs: service.createdMs,
        updatedMs: service.updatedMs,
        jobFailures: service.failures.get(JOB_FAILURES)?.count ?? 0,
        lastExitCode: service.lastExitCode ?? null,
      });
      const existing = new Set((await m.getRepository(ServiceVersionEntity).find({ where: { serviceId: service.id }, select: { version: true } })).map((v) => v.version));
      const fresh = [...service.specs].filter(([version]) => !existing.has(version));
      if (fresh.length > 0) await m.getRepository(ServiceVersionEntity).insert(fresh.map(([version, spec]) => ({ serviceId: service.id, version, spec })));
      // The current version's spec may have changed in place (scale changes only the count).
      if (existing.has(service.version)) {
        await m.getRepository(ServiceVersionEntity).update({ serviceId: service.id, version: service.version }, { spec: service.specs.get(service.version) });
      }
    });
  }

  deleteService(serviceId: string): Promise<void> {
    return this.serialize(() => this.removeService(serviceId));
  }

  private async removeService(serviceId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(ServiceVersionEntity).delete({ serviceId });
      await m.getRepository(ServiceEntity).delete({ id: serviceId });
    });
  }

  saveTasks(tasks: TaskModel[], deleted: string[]): Promise<void> {
    if (tasks.length === 0 && deleted.length === 0) return Promise.resolve();
    // Write-behind, in chunks of their own: a command (a create) waits for one chunk at most.
    const chunks: Promise<void>[] = [];
    for (let i = 0; i < Math.max(tasks.length, deleted.length); i += TASK_CHUNK) {
      chunks.push(this.serialize(() => this.writeTasks(tasks.slice(i, i + TASK_CHUNK), deleted.slice(i, i + TASK_CHUNK)), 'background'));
    }
    return Promise.all(chunks).then(() => undefined);
  }

  private async writeTasks(tasks: TaskModel[], deleted: string[]): Promise<void> {
    await this.db.transaction(async (m) => {
      const repo = m.getRepository(TaskEntity);
      for (let i = 0; i < deleted.length; i += 500) await repo.delete({ taskId: In(deleted.slice(i, i + 500)) });
      const rows = tasks.map((t) => ({
        taskId: t.taskId,
        serviceId: t.serviceId,
        slot: t.slot,
        version: t.version,
        nodeId: t.nodeId ?? null,
        desired: t.desired,
        state: t.state,
        details: {
          health: t.health,
          exitCode: t.exitCode,
          reason: t.reason,
          pendingMessage: t.pendingMessage,
          pendingReasons: t.pendingReasons,
          runningSinceMs: t.runningSinceMs,
          replacedBy: t.replacedBy,
        },
        createdMs: t.createdMs,
        updatedMs: t.updatedMs,
      }));
      // One INSERT … ON CONFLICT DO UPDATE per chunk (save() would SELECT every row first).
      for (let i = 0; i < rows.length; i += 200) await repo.upsert(rows.slice(i, i + 200), { conflictPaths: ['taskId'], skipUpdateIfNoValuesChanged: false });
    });
  }

  saveNodeAdmin(nodeId: string, availability: string, adminLabels: Record<string, string>): Promise<void> {
    return this.serialize(async () => {
      await this.db.getRepository(NodeEntity).update({ nodeId }, { availability, adminLabels });
    });
  }
}
