import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Subjects } from '@silo/contracts';
import type { ServiceName } from '@silo/domain';
import { MessagingModule } from '@silo/messaging';
import { Clock } from './clock/clock';
import { BaseServiceConfig } from './config/base-service.config';
import { SiloExceptionFilter } from './errors/silo-exception.filter';
import { HEALTH_INDICATORS, HealthIndicator } from './health/health-indicator';
import { healthRpcController, HealthzController } from './health/health-rpc.controller';
import { HealthService } from './health/health.service';
import { NatsIndicator } from './health/nats.indicator';
import { MetricsController, MetricsInterceptor, MetricsService } from './metrics/metrics.service';
import { ServiceIdentity } from './service-identity';
import { ContractValidationPipe } from './validation/contract-validation.pipe';
import { siloVersion } from './version';

export interface ServiceKitOptions<C extends BaseServiceConfig> {
  service: ServiceName;
  /** The app's loaded config object; injectable as its class and as BaseServiceConfig. */
  config: C;
  /** Serve /healthz and /metrics (the HTTP services). */
  http: boolean;
  /**
   * Health checks beyond NATS: indicator classes resolved from the app's providers (and global
   * modules such as the database's), or ready-made instances.
   */
  indicators?: Array<Type<HealthIndicator> | HealthIndicator>;
  /** Identity override (the node agent names itself by node id). */
  instance?: string;
}

/**
 * What every Silo service has: config, structured errors and validation at both edges, the NATS
 * connection and client, `silo.<service>.health`, and for HTTP services `/healthz` and `/metrics`.
 */
@Module({})
export class ServiceKitModule {
  static forRoot<C extends BaseServiceConfig>(options: ServiceKitOptions<C>): DynamicModule {
    const { service, config } = options;
    const indicatorClasses = (options.indicators ?? []).filter((i): i is Type<HealthIndicator> => typeof i === 'function');
    const indicatorInstances = (options.indicators ?? []).filter((i): i is HealthIndicator => typeof i !== 'function');
    const providers: Provider[] = [
      { provide: config.constructor, useValue: config },
      { provide: BaseServiceConfig, useValue: config },
      { provide: ServiceIdentity, useValue: new ServiceIdentity(service, siloVersion(), options.instance) },
      Clock,
      HealthService,
      MetricsService,
      NatsIndicator,
      ...indicatorClasses,
      {
        provide: HEALTH_INDICATORS,
        inject: [NatsIndicator, ...indicatorClasses],
        useFactory: (...indicators: HealthIndicator[]) => [...indicators, ...indicatorInstances],
      },
      { provide: APP_PIPE, useClass: ContractValidationPipe },
      { provide: APP_FILTER, useClass: SiloExceptionFilter },
      { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
    ];
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        MessagingModule.forRoot({
          url: config.natsUrl,
          name: `silo-${service}`,
          requestTimeoutMs: config.natsTimeoutMs,
        }),
      ],
      controllers: [healthRpcController(Subjects.health(service)), ...(options.http ? [HealthzController, MetricsController] : [])],
      providers,
      exports: [config.constructor as Type<C>, BaseServiceConfig, ServiceIdentity, Clock, HealthService, MetricsService],
    };
  }
}
