import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
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
} from '@silo/contracts';
import { ServicesService } from './services.service';

/** `silo.scheduler.service.*` and `silo.scheduler.node.update` (commands in the scheduler's queue group). */
@Controller()
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @MessagePattern(Subjects.serviceCreate)
  create(@Payload() request: ServiceCreateRequest): Promise<ServiceReply> {
    return this.services.create(request.spec);
  }

  @MessagePattern(Subjects.serviceUpdate)
  update(@Payload() request: ServiceUpdateRequest): Promise<ServiceReply> {
    return this.services.update(request.name, request.spec);
  }

  @MessagePattern(Subjects.serviceScale)
  scale(@Payload() request: ServiceScaleRequest): Promise<ServiceReply> {
    return this.services.scale(request.name, request.replicas);
  }

  @MessagePattern(Subjects.serviceRollback)
  rollback(@Payload() request: ServiceNameRequest): Promise<ServiceReply> {
    return this.services.rollback(request.name);
  }

  @MessagePattern(Subjects.serviceRemove)
  remove(@Payload() request: ServiceNameRequest): Promise<ServiceRemoveReply> {
    return this.services.remove(request.name);
  }

  @MessagePattern(Subjects.serviceGet)
  get(@Payload() request: ServiceNameRequest): Promise<ServiceReply> {
    return this.services.get(request.name);
  }

  @MessagePattern(Subjects.serviceList)
  list(@Payload() _request: ServiceListRequest): Promise<ServiceListReply> {
    return this.services.list();
  }

  @MessagePattern(Subjects.serviceTasks)
  tasks(@Payload() request: ServiceNameRequest): Promise<ServiceTasksReply> {
    return this.services.tasks(request.name);
  }

  @MessagePattern(Subjects.nodeUpdate)
  updateNode(@Payload() request: NodeUpdateRequest): Promise<{ nodeId: string; availability: string; labels: Record<string, string> }> {
    return this.services.updateNode(request);
  }
}
