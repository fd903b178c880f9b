import { Module } from '@nestjs/common';
import { LogsModule } from '../logs/logs.module';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({ imports: [LogsModule], controllers: [TasksController], providers: [TasksService], exports: [TasksService] })
export class TasksModule {}
