import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NetworkState } from './network.types';

/** Where the network manager keeps its state (IPAM allocations, endpoints, published ports). */
export interface NetworkStateStore {
  /** The saved state, or undefined when nothing was ever saved. */
  load(): Promise<NetworkState | undefined>;
  /** Replaces the saved state atomically: a crash leaves the old or the new state, never a mix. */
  save(state: NetworkState): Promise<void>;
  /** Forgets everything (uninstall). */
  clear(): Promise<void>;
}

/**
 * `STATE_DIR/network.json`, written to a temp file and renamed over the old one. No fsync: the
 * state must survive an agent crash (the page cache does), and after a machine crash every
 * container and network namespace is gone anyway and `restore()` releases their addresses.
 */
export class FileNetworkStateStore implements NetworkStateStore {
  private readonly file: string;
  private dirReady = false;

  constructor(private readonly stateDir: string) {
    this.file = join(stateDir, 'network.json');
  }

  get path(): string {
    return this.file;
  }

  async load(): Promise<NetworkState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let state: NetworkState;
    try {
      state = JSON.parse(text) as NetworkState;
    } catch (error) {
      throw new Error(`${this.file} is not valid JSON: ${(error as Error).message}`);
    }
    if (state?.version !== 1 || typeof state.endpoints !== 'object' || state.endpoints === null) {
      throw new Error(`${this.file} is not a network state file this agent understands (version ${String(state?.version)})`);
    }
    return state;
  }

  async save(state: NetworkState): Promise<void> {
    if (!this.dirReady) {
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      this.dirReady = true;
    }
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(state, null, 1), { mode: 0o600 });
    await rename(temp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

/** In memory, for tests. */
export class MemoryNetworkStateStore implements NetworkStateStore {
  saved?: NetworkState;
  saves = 0;

  async load(): Promise<NetworkState | undefined> {
    return this.saved ? (JSON.parse(JSON.stringify(this.saved)) as NetworkState) : undefined;
  }

  async save(state: NetworkState): Promise<void> {
    this.saves++;
    this.saved = JSON.parse(JSON.stringify(state)) as NetworkState;
  }

  async clear(): Promise<void> {
    this.saved = undefined;
  }
}
