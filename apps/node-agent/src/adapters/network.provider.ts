import { Injectable } from '@nestjs/common';
import type { NetworkMode } from '@silo/contracts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkManager } from '../network/network-manager';
import { ContainerNetwork, NetworkProvider, PortMapping } from '../tasks/task-ports';

/** The task supervisor's network seam, served by the node's NetworkManager (bridge set up on first use). */
@Injectable()
export class ManagedNetworkProvider extends NetworkProvider {
  private ready?: Promise<void>;

  constructor(private readonly manager: NetworkManager) {
    super();
  }

  private init(): Promise<void> {
    this.ready ??= this.manager.init().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async setup(containerId: string, mode: NetworkMode, ports: PortMapping[]): Promise<ContainerNetwork> {
    if (mode === 'bridge') await this.init();
    return this.manager.setup(containerId, mode, ports);
  }

  async teardown(containerId: string): Promise<void> {
    await this.manager.teardown(containerId);
  }

  /** Only when bridge containers existed: a node that never ran one never touches the host's network. */
  async restore(liveContainerIds: string[]): Promise<void> {
    if (!this.hadBridgeContainers()) return;
    await this.init();
    await this.manager.restore(liveContainerIds);
  }

  /** Only what this agent set up (or a previous run left in its state): a host that never had a bridge keeps its network untouched. */
  async release(): Promise<void> {
    if (!this.ready && !this.hadBridgeState()) return;
    this.ready = undefined;
    await this.manager.uninstall();
  }

  private hadBridgeState(): boolean {
    return existsSync(join(this.manager.config.stateDir, 'network.json'));
  }

  private hadBridgeContainers(): boolean {
    try {
      const state = JSON.parse(readFileSync(join(this.manager.config.stateDir, 'network.json'), 'utf8')) as { endpoints?: Record<string, unknown> };
      return Object.keys(state.endpoints ?? {}).length > 0;
    } catch {
      return false;
    }
  }
}
