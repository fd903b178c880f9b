import { Injectable, Logger } from '@nestjs/common';
import { NodeUpdateReply, NodeUpdateRequest, ServiceListReply, ServiceRemoveReply, ServiceReply, ServiceSpec, ServiceTasksReply } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { randomUUID } from 'node:crypto';
import { currentSpec, nodeLabels, ServiceModel, withTeam } from './model';
import { OrchestratorService } from './orchestrator.service';
import { serviceSpecProblems } from './service-spec.validation';

/** Services and jobs: create, update (a new version), scale, rollback, remove, inspect. */
@Injectable()
export class ServicesService {
  private readonly logger = new Logger(ServicesService.name);

  constructor(private readonly orchestrator: OrchestratorService) {}

  private check(spec: ServiceSpec): void {
    const problems = serviceSpecProblems(spec);
    if (problems.length > 0) {
      throw new SiloError('VALIDATION_FAILED', `invalid service spec: ${problems.join('; ')}`, { problems: problems.map((p) => ({ path: p.split(':')[0], problems: [p] })) });
    }
  }

  private find(name: string): ServiceModel {
    const service = this.orchestrator.serviceByName(name);
    if (!service) throw new SiloError('NOT_FOUND', `no service named ${name}`);
    return service;
  }

  async create(spec: ServiceSpec): Promise<ServiceReply> {
    await this.orchestrator.ready();
    this.check(spec);
    if (this.orchestrator.serviceByName(spec.name)) throw new SiloError('CONFLICT', `a service named ${spec.name} exists already`);
    const now = Date.now();
    const service: ServiceModel = {
      id: randomUUID(),
      name: spec.name,
      mode: spec.mode ?? 'replicated',
      version: 1,
      specs: new Map([[1, spec]]),
      rollout: spec.mode === 'job' ? 'updating' : 'completed',
      createdMs: now,
      updatedMs: now,
      failures: new Map(),
    };
    await this.orchestrator.saveService(service);
    this.logger.log(`service ${spec.name} created (${service.mode})`);
    this.orchestrator.serviceChanged(service, 'created');
    return { service: this.orchestrator.view(service) };
  }

  /**
   * A new version of the spec; tasks are replaced as its update config says. The owning team
   * belongs to the service, not to one version: a spec without `team` keeps the current one.
   */
  async update(name: string, spec: ServiceSpec): Promise<ServiceReply> {
    await this.orchestrator.ready();
    const service = this.find(name);
    if (spec.name !== name) throw new SiloError('VALIDATION_FAILED', `the spec's name (${spec.name}) must be the service's (${name})`);
    this.check(spec);
    if ((spec.mode ?? 'replicated') !== service.mode) throw new SiloError('VALIDATION_FAILED', `mode cannot change (${service.mode} → ${spec.mode ?? 'replicated'}): remove and create the service`);
    this.newVersion(service, withTeam(spec, currentSpec(service).team));
    await this.orchestrator.saveService(service);
    this.orchestrator.serviceChanged(service, 'updated');
    return { service: this.orchestrator.view(service) };
  }

  async scale(name: string, replicas: number): Promise<ServiceReply> {
    await this.orchestrator.ready();
    const service = this.find(name);
    if (service.mode !== 'replicated') throw new SiloError('VALIDATION_FAILED', `only replicated services scale (${name} is ${service.mode})`);
    // Scaling changes no task's spec: the same version, another count.
    service.specs.set(service.version, { ...currentSpec(service), replicas });
    service.updatedMs = Date.now();
    await this.orchestrator.saveService(service);
    this.orchestrator.serviceChanged(service, 'scaled');
    return { service: this.orchestrator.view(service) };
  }

  async rollback(name: string): Promise<ServiceReply> {
    await this.orchestrator.ready();
    const service = this.find(name);
    if (service.previousVersion === undefined) throw new SiloError('CONFLICT', `service ${name} has no previous version`);
    const previous = service.specs.get(service.previousVersion)!;
    const current = currentSpec(service);
    // The count and the owner are the service's, not the version's: both stay as they are.
    const team = current.team ?? previous.team;
    this.newVersion(service, { ...previous, replicas: current.replicas ?? previous.replicas, ...(team !== undefined ? { team } : {}) });
    service.rollout = 'rolling-back';
    service.rolloutMessage = `rolling back to the spec of version ${service.previousVersion! - 0}`;
    await this.orchestrator.saveService(service);
    this.orchestrator.serviceChanged(service, 'rolled-back');
    return { service: this.orchestrator.view(service) };
  }

  async remove(name: string): Promise<ServiceRemoveReply> {
    await this.orchestrator.ready();
    const service = this.find(name);
    await this.orchestrator.removeService(service);
    this.logger.log(`service ${name} removed`);
    // Its tasks are still in the model (stopping): the event says how many still run.
    this.orchestrator.serviceChanged(service, 'removed');
    return { name, removed: true };
  }

  async get(name: string): Promise<ServiceReply> {
    await this.orchestrator.ready();
    return { service: this.orchestrator.view(this.find(name)) };
  }

  async list(): Promise<ServiceListReply> {
    await this.orchestrator.ready();
    return { services: [...this.orchestrator.model.services.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => this.orchestrator.view(s)) };
  }

  async tasks(name: string): Promise<ServiceTasksReply> {
    await this.orchestrator.ready();
    return { name, tasks: this.orchestrator.tasksOf(this.find(name)) };
  }

  async updateNode(request: NodeUpdateRequest): Promise<NodeUpdateReply> {
    await this.orchestrator.ready();
    const node = await this.orchestrator.updateNode(request.nodeId, request.availability, request.labelsAdd ?? {}, request.labelsRemove ?? []);
    if (!node) throw new SiloError('NOT_FOUND', `no node ${request.nodeId}`);
    return { nodeId: node.nodeId, availability: node.availability, labels: nodeLabels(node) };
  }

  private newVersion(service: ServiceModel, spec: ServiceSpec): void {
    const version = Math.max(...service.specs.keys()) + 1;
    service.specs.set(version, spec);
    service.previousVersion = service.version;
    service.version = version;
    service.rollout = 'updating';
    service.rolloutMessage = undefined;
    service.updatedMs = Date.now();
    service.failures.clear();
  }
}
