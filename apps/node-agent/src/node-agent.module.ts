import { DynamicModule, Module } from '@nestjs/common';
import { AdminCredentialsStore, DiskWritableIndicator, ServiceKitModule } from '@silo/service-kit';
import { join } from 'node:path';
import { ImageGcService } from './adapters/image-gc.service';
import { ManagedNetworkProvider } from './adapters/network.provider';
import { IMAGE_COMPONENTS } from './adapters/tokens';
import { NodeAgentConfig } from './config/node-agent.config';
import { ExecSessions } from './exec/exec-sessions';
import { NatsSessionTransport, SessionTransport } from './exec/session-transport';
import { HeartbeatService } from './heartbeat/heartbeat.service';
import { HostInfo } from './host/host-info';
import { NodeIdentityStore } from './identity/node-identity.store';
import { AgentImages, AgentRootfs } from './images/agent-image-adapters';
import { createImageComponents, ImageComponents } from './images/image-components';
import { NetworkManager } from './network/network-manager';
import { DEFAULT_REGISTRATION_TIMING, NodeRegistrationService, REGISTRATION_TIMING, RegistrationTiming } from './registration/node-registration.service';
import { AgentCommands } from './rpc/agent-commands';
import { AgentRpcServer } from './rpc/agent-rpc.server';
import { ContainerRuntime } from './runtime/container-runtime';
import { RuntimeIndicator } from './runtime/runtime.indicator';
import { ImageInventory, ImageProvider, NetworkProvider, RootfsProvider } from './tasks/task-ports';
import { TaskSetService } from './tasks/task-set.service';

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
      providers: [
        HostInfo,
        NodeRegistrationService,
        { provide: REGISTRATION_TIMING, useValue: timing },
        {
          provide: IMAGE_COMPONENTS,
          useFactory: async (): Promise<ImageComponents> => {
            const components = createImageComponents({
              agentHome: config.agentHome,
              defaultRegistryUrl: config.registryUrl,
              defaultCredentials: () => new AdminCredentialsStore(config.home).tryRead(),
            });
            await components.init();
            return components;
          },
        },
        { provide: AgentImages, useFactory: (c: ImageComponents) => new AgentImages(c.puller, c.store), inject: [IMAGE_COMPONENTS] },
        { provide: ImageProvider, useExisting: AgentImages },
        { provide: ImageInventory, useExisting: AgentImages },
        {
          provide: RootfsProvider,
          useFactory: (c: ImageComponents) => new AgentRootfs(c.snapshotter, c.store, config.agentHome, config.runtimeBinary),
          inject: [IMAGE_COMPONENTS],
        },
        { provide: NetworkManager, useFactory: () => new NetworkManager({ bridge: config.bridgeName, subnet: config.nodeSubnet, stateDir: join(config.agentHome, 'network'), chainPrefix: config.chainPrefix }) },
        { provide: NetworkProvider, useClass: ManagedNetworkProvider },
        ContainerRuntime,
        TaskSetService,
        AgentRpcServer,
        { provide: SessionTransport, useClass: NatsSessionTransport },
        ExecSessions,
        AgentCommands,
        HeartbeatService,
        ImageGcService,
      ],
    };
  }
}
