import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { WorkloadOwners } from './workload-owners.service';

@Module({ controllers: [EventsController], providers: [EventsService, WorkloadOwners] })
export class EventsModule {}
