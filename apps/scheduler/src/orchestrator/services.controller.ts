import { Controller, OnModuleInit } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  NodeStatusReply,
  NodeStatusRequest,
  NodeUpdateReply,
  NodeUpdateRequest,
  ServiceCreateRequest,
  ServiceListReply,
  ServiceListRequest,
  ServiceNameRequest,
  ServiceRemoveReply,
  ServiceReply,
  ServiceScaleRequest,
  ServiceTasksReply,
  ServiceUpdateRequest,
  Subjects,
  TaskListReply,
  TaskListRequest,
} from '@silo/contracts';
import { ClusterViewsService } from './cluster-views.service';
import { LeaderForwarding } from './leader-forwarding';
import { ServicesService } from './services.service';

/**
 * `silo.scheduler.service.*`, `silo.scheduler.node.update`, and the live views
 * `silo.scheduler.node.status` and `silo.scheduler.task.list` (in the scheduler's queue group).
 * Whichever replica receives one, the leader, which holds the model, executes it.
 */
@Controller()
export class ServicesController implements OnModuleInit {
  private readonly routes: {
    [subject: string]: { contract: new () => object; reply: new () => object; run: (request: never) => Promise<object> };
  } = {
    [Subjects.serviceCreate]: { contract: ServiceCreateRequest, reply: ServiceReply, run: (r: ServiceCreateRequest) => this.services.create(r.spec) },
    [Subjects.serviceUpdate]: { contract: ServiceUpdateRequest, reply: ServiceReply, run: (r: ServiceUpdateRequest) => this.services.update(r.name, r.spec) },
    [Subjects.serviceScale]: { contract: ServiceScaleRequest, reply: ServiceReply, run: (r: ServiceScaleRequest) => this.services.scale(r.name, r.replicas) },
    [Subjects.serviceRollback]: { contract: ServiceNameRequest, reply: ServiceReply, run: (r: ServiceNameRequest) => this.services.rollback(r.name) },
    [Subjects.serviceRemove]: { contract: ServiceNameRequest, reply: ServiceRemoveReply, run: (r: ServiceNameRequest) => this.services.remove(r.name) },
    [Subjects.serviceGet]: { contract: ServiceNameRequest, reply: ServiceReply, run: (r: ServiceNameRequest) => this.services.get(r.name) },
    [Subjects.serviceList]: { contract: ServiceListRequest, reply: ServiceListReply, run: () => this.services.list() },
    [Subjects.serviceTasks]: { contract: ServiceNameRequest, reply: ServiceTasksReply, run: (r: ServiceNameRequest) => this.services.tasks(r.name) },
    [Subjects.nodeUpdate]: { contract: NodeUpdateRequest, reply: NodeUpdateReply, run: (r: NodeUpdateRequest) => this.services.updateNode(r) },
    [Subjects.nodeStatus]: { contract: NodeStatusRequest, reply: NodeStatusReply, run: (r: NodeStatusRequest) => this.views.nodeStatus(r) },
    [Subjects.taskList]: { contract: TaskListRequest, reply: TaskListReply, run: (r: TaskListRequest) => this.views.taskList(r) },
  };

  constructor(
    private readonly services: ServicesService,
    private readonly views: ClusterViewsService,
    private readonly forwarding: LeaderForwarding,
  ) {}

  onModuleInit(): void {
    for (const [subject, route] of Object.entries(this.routes)) this.forwarding.register(subject, route.contract, route.run as (r: object) => Promise<object>);
  }

  private route(subject: string, request: object): Promise<object> {
    const route = this.routes[subject]!;
    return this.forwarding.run(subject, request, route.reply, () => route.run(request as never));
  }

  @MessagePattern(Subjects.serviceCreate)
  create(@Payload() request: ServiceCreateRequest): Promise<object> {
    return this.route(Subjects.serviceCreate, request);
  }

  @MessagePattern(Subjects.serviceUpdate)
  update(@Payload() request: ServiceUpdateRequest): Promise<object> {
    return this.route(Subjects.serviceUpdate, request);
  }

  @MessagePattern(Subjects.serviceScale)
  scale(@Payload() request: ServiceScaleRequest): Promise<object> {
    return this.route(Subjects.serviceScale, request);
  }

  @MessagePattern(Subjects.serviceRollback)
  rollback(@Payload() request: ServiceNameRequest): Promise<object> {
    return this.route(Subjects.serviceRollback, request);
  }

  @MessagePattern(Subjects.serviceRemove)
  remove(@Payload() request: ServiceNameRequest): Promise<object> {
    return this.route(Subjects.serviceRemove, request);
  }

  @MessagePattern(Subjects.serviceGet)
  get(@Payload() request: ServiceNameRequest): Promise<object> {
    return this.route(Subjects.serviceGet, request);
  }

  @MessagePattern(Subjects.serviceList)
  list(@Payload() request: ServiceListRequest): Promise<object> {
    return this.route(Subjects.serviceList, request);
  }

  @MessagePattern(Subjects.serviceTasks)
  tasks(@Payload() request: ServiceNameRequest): Promise<object> {
    return this.route(Subjects.serviceTasks, request);
  }

  @MessagePattern(Subjects.nodeUpdate)
  updateNode(@Payload() request: NodeUpdateRequest): Promise<object> {
    return this.route(Subjects.nodeUpdate, request);
  }

  @MessagePattern(Subjects.nodeStatus)
  nodeStatus(@Payload() request: NodeStatusRequest): Promise<object> {
    return this.route(Subjects.nodeStatus, request);
  }

  @MessagePattern(Subjects.taskList)
  taskList(@Payload() request: TaskListRequest): Promise<object> {
    return this.route(Subjects.taskList, request);
  }
}
