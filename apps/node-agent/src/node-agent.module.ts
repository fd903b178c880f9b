import { DynamicModule, Module } from '@nestjs/common';
import { DiskWritableIndicator, ServiceKitModule } from '@silo/service-kit';
import { NodeAgentConfig } from './config/node-agent.config';
import { HostInfo } from './host/host-info';
import { NodeIdentityStore } from './identity/node-identity.store';
import { DEFAULT_REGISTRATION_TIMING, NodeRegistrationService, REGISTRATION_TIMING, RegistrationTiming } from './registration/node-registration.service';
import { RuntimeIndicator } from './runtime/runtime.indicator';

@Module({})
export class NodeAgentModule {
  static forRoot(config: NodeAgentConfig, timing: RegistrationTiming = DEFAULT_REGISTRATION_TIMING): DynamicModule {
    const nodeId = new NodeIdentityStore(config.agentHome).resolve(config.nodeId);
    return {
      module: NodeAgentModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'node-agent',
          config,
          http: false,
          instance: nodeId,
          indicators: [RuntimeIndicator, new DiskWritableIndicator(config.agentHome)],
        }),
      ],
      providers: [HostInfo, NodeRegistrationService, { provide: REGISTRATION_TIMING, useValue: timing }],
    };
  }
}
