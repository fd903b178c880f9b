import { Module } from '@nestjs/common';
import { LogsModule } from '../logs/logs.module';
import { JobsController, ServicesController } from './workloads.controller';
import { WorkloadsService } from './workloads.service';

@Module({ imports: [LogsModule], controllers: [ServicesController, JobsController], providers: [WorkloadsService], exports: [WorkloadsService] })
export class ServicesModule {}
