import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { ExecWsGateway } from './exec-ws.gateway';

@Module({ imports: [TasksModule], providers: [ExecWsGateway] })
export class ExecModule {}
