import { bootstrapService } from '@silo/service-kit';
import { NodeAgentConfig } from './config/node-agent.config';
import { NodeAgentModule } from './node-agent.module';

void bootstrapService({
  service: 'node-agent',
  configClass: NodeAgentConfig,
  module: (config) => NodeAgentModule.forRoot(config),
  // Agents are addressed one by one (silo.agent.<nodeId>.…) or all at once (health): no queue group.
  queue: false,
});
