import { Module } from '@nestjs/common';
import { NodesModule } from '../nodes/nodes.module';
import { leadershipProvider } from '../leadership';
import { ClusterViewsService } from './cluster-views.service';
import { LeaseLeadershipGate } from './leadership.gate';
import { LeaderForwarding } from './leader-forwarding';
import { LeadershipGate, OrchestratorService } from './orchestrator.service';
import { SchedulerStore, TypeOrmSchedulerStore } from './scheduler.store';
import { ServicesController } from './services.controller';
import { ServicesService } from './services.service';

@Module({
  imports: [NodesModule],
  controllers: [ServicesController],
  providers: [
    OrchestratorService,
    ServicesService,
    ClusterViewsService,
    { provide: SchedulerStore, useClass: TypeOrmSchedulerStore },
    leadershipProvider(),
    { provide: LeadershipGate, useClass: LeaseLeadershipGate },
    LeaderForwarding,
  ],
})
export class OrchestratorModule {}
