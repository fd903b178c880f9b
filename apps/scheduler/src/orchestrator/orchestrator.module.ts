import { Module } from '@nestjs/common';
import { NodesModule } from '../nodes/nodes.module';
import { AlwaysLeader, LeadershipGate, OrchestratorService } from './orchestrator.service';
import { SchedulerStore, TypeOrmSchedulerStore } from './scheduler.store';
import { ServicesController } from './services.controller';
import { ServicesService } from './services.service';

@Module({
  imports: [NodesModule],
  controllers: [ServicesController],
  providers: [
    OrchestratorService,
    ServicesService,
    { provide: SchedulerStore, useClass: TypeOrmSchedulerStore },
    { provide: LeadershipGate, useClass: AlwaysLeader },
  ],
})
export class OrchestratorModule {}
