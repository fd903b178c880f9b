import { bootstrapService } from '@silo/service-kit';
import { SchedulerModule } from './scheduler.module';
import { SchedulerConfig } from './config/scheduler.config';

void bootstrapService({
  service: 'scheduler',
  configClass: SchedulerConfig,
  module: (config) => SchedulerModule.forRoot(config),
});
