import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseIndicator, PersistenceModule } from '@silo/persistence';
import { ServiceKitModule } from '@silo/service-kit';
import { SchedulerConfig } from './config/scheduler.config';
import { SCHEDULER_MIGRATIONS } from './migrations';
import { JoinTokenEntity } from './join-tokens/join-token.entity';
import { JoinTokensModule } from './join-tokens/join-tokens.module';
import { NodeEntity } from './nodes/node.entity';
import { NodesModule } from './nodes/nodes.module';
import { ServiceEntity, ServiceVersionEntity, TaskEntity } from './orchestrator/orchestrator.entities';
import { OrchestratorModule } from './orchestrator/orchestrator.module';

@Module({})
export class SchedulerModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [
        PersistenceModule.forRoot({
          service: 'scheduler',
          home: config.home,
          databaseUrl: config.databaseUrl,
          entities: [NodeEntity, ServiceEntity, ServiceVersionEntity, TaskEntity, JoinTokenEntity],
          migrations: SCHEDULER_MIGRATIONS,
        }),
        ServiceKitModule.forRoot({ service: 'scheduler', config, http: false, indicators: [DatabaseIndicator] }),
        JoinTokensModule,
        NodesModule,
        OrchestratorModule,
      ],
    };
  }
}
