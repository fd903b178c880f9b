import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { NatsClient } from '../client/nats-client';
import { NatsConnectionService, NatsConnectionSettings } from '../connection/nats-connection.service';

export const NATS_SETTINGS = Symbol('NATS_SETTINGS');

/** Drains the connection after Nest has closed its transports (last shutdown hook). */
@Injectable()
class NatsShutdown implements OnApplicationShutdown {
  constructor(@Inject(NatsConnectionService) private readonly connection: NatsConnectionService) {}
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

export interface MessagingModuleOptions extends NatsConnectionSettings {
  requestTimeoutMs?: number;
}

@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: NATS_SETTINGS, useValue: options },
        { provide: NatsConnectionService, useFactory: () => new NatsConnectionService(options) },
        {
          provide: NatsClient,
          inject: [NatsConnectionService],
          useFactory: (connection: NatsConnectionService) => new NatsClient(connection, options.requestTimeoutMs),
        },
        NatsShutdown,
      ],
      exports: [NatsConnectionService, NatsClient, NATS_SETTINGS],
    };
  }
}
