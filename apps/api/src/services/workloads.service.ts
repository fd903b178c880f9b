import { Injectable } from '@nestjs/common';
import {
  PrincipalView,
  ServiceListReply,
  ServiceRemoveReply,
  ServiceReply,
  ServiceSpec,
  ServiceTasksReply,
  ServiceView,
  Subjects,
  validateContract,
} from '@silo/contracts';
import { allowed, authorize, resolveWorkloadTeam } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { PendingReply } from './dto/services.dto';
import { InvalidPatch, NoWritableTeam, TeamRequired, WorkloadNotFound } from './errors/workload.errors';
import { isPlainObject, mergePatch } from './merge-patch';

export type WorkloadKind = 'service' | 'job';

const isKind = (service: ServiceView, kind: WorkloadKind) => (kind === 'job') === (service.mode === 'job');

/** Services and jobs, forwarded to the scheduler, with the caller's rights checked first. */
@Injectable()
export class WorkloadsService {
  constructor(private readonly rpc: Rpc) {}

  async list(principal: PrincipalView, kind: WorkloadKind, all = false): Promise<ServiceListReply> {
    const { services } = await this.rpc.call(Subjects.serviceList, {}, ServiceListReply);
    return {
      services: services
        .filter((s) => (all && kind === 'service') || isKind(s, kind))
        .filter((s) => allowed(principal, { kind: 'service', access: 'read', name: s.name, team: s.spec.team })),
    };
  }

  /** The workload, if the principal may do ACCESS to it; NOT_FOUND when it is of the other kind. */
  async get(principal: PrincipalView, kind: WorkloadKind, name: string, access: 'read' | 'write' = 'read'): Promise<ServiceView> {
    const { service } = await this.rpc.call(Subjects.serviceGet, { name }, ServiceReply);
    if (!isKind(service, kind)) throw new WorkloadNotFound(kind, name);
    authorize(principal, { kind: 'service', access, name, team: service.spec.team });
    return service;
  }

  async create(principal: PrincipalView, kind: WorkloadKind, spec: ServiceSpec): Promise<ServiceReply> {
    const wanted = kind === 'job' ? { ...spec, mode: 'job' as const } : spec;
    const resolved = resolveWorkloadTeam(principal, wanted.team);
    if ('error' in resolved) {
      if (resolved.error === 'ambiguous') throw new TeamRequired(resolved.teams);
      throw new NoWritableTeam(principal.name);
    }
    const final = resolved.team ? { ...wanted, team: resolved.team } : wanted;
    authorize(principal, { kind: 'service', access: 'write', name: final.name, team: final.team });
    return this.rpc.call(Subjects.serviceCreate, { spec: final }, ServiceReply);
  }

  /** PUT: a whole new spec; without `team` it keeps the current one. */
  async replace(principal: PrincipalView, kind: WorkloadKind, name: string, spec: ServiceSpec): Promise<ServiceReply> {
    if (spec.name !== name) throw new InvalidPatch(`the spec names "${spec.name}", the path "${name}": a workload cannot be renamed`);
    const current = await this.get(principal, kind, name, 'write');
    return this.update(principal, kind, current, { ...spec });
  }

  /** PATCH: a JSON merge patch on the current spec, then validated whole. */
  async patch(principal: PrincipalView, kind: WorkloadKind, name: string, patch: unknown): Promise<ServiceReply> {
    if (!isPlainObject(patch)) throw new InvalidPatch('the patch must be a JSON object (a partial ServiceSpec)');
    const current = await this.get(principal, kind, name, 'write');
    const merged = mergePatch(JSON.parse(JSON.stringify(current.spec)) as unknown, patch) as Record<string, unknown>;
    const spec = validateContract(ServiceSpec, merged);
    if (spec.name !== name) throw new InvalidPatch(`name cannot change (from "${name}" to "${spec.name}")`);
    return this.update(principal, kind, current, spec);
  }

  private update(principal: PrincipalView, kind: WorkloadKind, current: ServiceView, spec: ServiceSpec): Promise<ServiceReply> {
    const next: ServiceSpec = { ...spec };
    if (!next.team && current.spec.team) next.team = current.spec.team;
    if (kind === 'job') next.mode = 'job';
    if (next.team !== current.spec.team) authorize(principal, { kind: 'service', access: 'write', name: next.name, team: next.team });
    return this.rpc.call(Subjects.serviceUpdate, { name: current.name, spec: next }, ServiceReply);
  }

  async scale(principal: PrincipalView, kind: WorkloadKind, name: string, replicas: number): Promise<ServiceReply> {
    await this.get(principal, kind, name, 'write');
    return this.rpc.call(Subjects.serviceScale, { name, replicas }, ServiceReply);
  }

  async rollback(principal: PrincipalView, kind: WorkloadKind, name: string): Promise<ServiceReply> {
    await this.get(principal, kind, name, 'write');
    return this.rpc.call(Subjects.serviceRollback, { name }, ServiceReply);
  }

  async remove(principal: PrincipalView, kind: WorkloadKind, name: string): Promise<ServiceRemoveReply> {
    await this.get(principal, kind, name, 'write');
    return this.rpc.call(Subjects.serviceRemove, { name }, ServiceRemoveReply);
  }

  async tasks(principal: PrincipalView, kind: WorkloadKind, name: string): Promise<ServiceTasksReply> {
    await this.get(principal, kind, name, 'read');
    return this.rpc.call(Subjects.serviceTasks, { name }, ServiceTasksReply);
  }

  async pending(principal: PrincipalView, kind: WorkloadKind, name: string): Promise<PendingReply> {
    const { tasks } = await this.tasks(principal, kind, name);
    return {
      name,
      pending: tasks
        .filter((t) => t.desiredState !== 'shutdown' && (t.state === 'pending' || t.pendingMessage !== undefined))
        .map((t) => ({ taskId: t.taskId, slot: t.slot, message: t.pendingMessage ?? 'waiting to be placed', reasons: t.pendingReasons ?? [] })),
    };
  }
}
