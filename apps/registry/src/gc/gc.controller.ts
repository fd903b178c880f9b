import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RegistryGcReply, RegistryGcRequest, Subjects } from '@silo/contracts';
import { GarbageCollector } from './garbage-collector.service';

@Controller()
export class GcController {
  constructor(private readonly gc: GarbageCollector) {}

  @MessagePattern(Subjects.registryGc)
  run(@Payload() request: RegistryGcRequest): Promise<RegistryGcReply> {
    return this.gc.run(request.dryRun ?? false);
  }
}
