import { DynamicModule, Module } from '@nestjs/common';
import { AdminCredentialsStore, ServiceKitModule } from '@silo/service-kit';
import { AccountsModule } from './accounts/accounts.module';
import { AuthModule } from './auth/auth.module';
import { CredentialsIndicator } from './auth/credentials.indicator';
import { CommonModule } from './common/common.module';
import { ApiConfig } from './config/api.config';
import { DashboardModule } from './dashboard/dashboard.module';
import { DocsModule } from './docs/docs.module';
import { EventsModule } from './events/events.module';
import { ExecModule } from './exec/exec.module';
import { ImagesModule } from './images/images.module';
import { NodesModule } from './nodes/nodes.module';
import { ServicesModule } from './services/services.module';
import { StatusModule } from './status/status.module';
import { TasksModule } from './tasks/tasks.module';
import { TopModule } from './top/top.module';

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'api',
          config,
          http: true,
          indicators: [new CredentialsIndicator(new AdminCredentialsStore(config.home))],
        }),
        CommonModule,
        AuthModule,
        StatusModule,
        NodesModule,
        ServicesModule,
        TasksModule,
        ImagesModule,
        AccountsModule,
        EventsModule,
        TopModule,
        ExecModule,
        DocsModule,
        // Last: its fallback answers every GET the routes above do not.
        DashboardModule,
      ],
    };
  }
}
