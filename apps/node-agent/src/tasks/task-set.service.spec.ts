import type { AgentTaskSpec } from '@silo/contracts';
import { makeTempDir, waitFor } from '@silo/testing';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeAgentConfig } from '../config/node-agent.config';
import type { HostInfo } from '../host/host-info';
import type { ContainerFiles, ContainerRuntime } from '../runtime/container-runtime';
import { ImageInfo, ImageProvider, NetworkProvider, RootfsProvider } from './task-ports';
import { specHash, TaskSetService } from './task-set.service';

const IMAGE: ImageInfo = { reference: 'demo', digest: 'sha256:' + '1'.repeat(64), entrypoint: ['/bin/sleep'], cmd: ['1000'], env: [], workingDir: '/', user: '', exposedPorts: [], layers: [] };

class Images extends ImageProvider {
  async ensure(): Promise<ImageInfo> {
    return IMAGE;
  }
}
class Rootfs extends RootfsProvider {
  async prepare(_id: string, _image: ImageInfo, target: string): Promise<void> {
    mkdirSync(target, { recursive: true });
  }
  async remove(): Promise<void> {}
  upperDir(id: string): string {
    return id;
  }
}
class Network extends NetworkProvider {
  async setup(_id: string, mode: 'none' | 'host' | 'bridge') {
    return { mode };
  }
  async teardown(): Promise<void> {}
  async restore(): Promise<void> {}
  releases = 0;
  async release(): Promise<void> {
    this.releases += 1;
  }
}

describe('TaskSetService', () => {
  let home: string;
  let started: string[];
  let killed: string[];
  let service: TaskSetService;
  let network: Network;

  beforeEach(async () => {
    home = (await makeTempDir('task-set-')).path;
    started = [];
    killed = [];
    const config = Object.assign(new NodeAgentConfig(), { home, runDir: join(home, 'run') });
    const runtime = {
      start: async (id: string, files: ContainerFiles) => {
        started.push(id);
        writeFileSync(files.monitorPidFile, String(process.pid));
        return 1;
      },
      kill: async (id: string) => {
        killed.push(id);
        const now = new Date().toISOString();
        writeFileSync(join(home, 'node-agent/containers', id, 'exit.json'), JSON.stringify({ exitCode: 143, signal: null, oomKilled: false, startedAt: now, finishedAt: now }));
      },
      delete: async () => undefined,
      exec: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
    } as unknown as ContainerRuntime;
    const host = { facts: () => ({ cgroupMode: 'v2', cpuMillis: 2000, memoryBytes: 2 ** 33 }) } as unknown as HostInfo;
    const nats = { publish: () => undefined };
    network = new Network();
    service = new TaskSetService(config, { instance: 'node-1' } as never, host, nats as never, runtime, new Images(), new Rootfs(), network);
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    await rm(home, { recursive: true, force: true });
  });

  const task = (taskId: string, extra: Partial<AgentTaskSpec> = {}): AgentTaskSpec => ({ taskId, image: 'demo', network: 'none', ...extra });
  const running = (id: string) => service.supervisor(id)?.status.state === 'running';

  it('starts what is desired; the same set again changes nothing', async () => {
    service.apply({ generation: 1, tasks: [task('a'), task('b')] });
    await waitFor(() => running('a') && running('b'), { description: 'both running' });
    const reply = service.apply({ generation: 2, tasks: [task('a'), task('b')] });
    await service.settled();
    expect(reply.applied).toBe(true);
    expect(started.sort()).toEqual(['a', 'b']);
    expect(killed).toEqual([]);
    expect(JSON.parse(readFileSync(join(home, 'node-agent/desired.json'), 'utf8')).generation).toBe(2);
  });

  it('removes tasks that left the set and replaces a task whose spec changed', async () => {
    service.apply({ generation: 1, tasks: [task('a'), task('b')] });
    await waitFor(() => running('a') && running('b'), { description: 'both running' });
    service.apply({ generation: 2, tasks: [task('a', { env: { V: '2' } })] });
    await service.settled();
    await waitFor(() => running('a') && started.length === 3, { description: 'a replaced' });
    expect(service.supervisor('b')).toBeUndefined();
    expect(killed.sort()).toEqual(['a', 'b']);
    expect(service.supervisor('a')?.specHash).toBe(specHash(task('a', { env: { V: '2' } })));
  });

  it('a stop with containers keeps the network; a stop with none releases it and the run dir', async () => {
    service.apply({ generation: 1, tasks: [task('a')] });
    await waitFor(() => running('a'), { description: 'a running' });
    await service.onApplicationShutdown();
    expect(network.releases).toBe(0);
    const empty = new TaskSetService(Object.assign(new NodeAgentConfig(), { home: join(home, 'empty'), runDir: join(home, 'empty-run') }), { instance: 'node-2' } as never, { facts: () => ({ cgroupMode: 'v2', cpuMillis: 1000, memoryBytes: 2 ** 30 }) } as never, { publish: () => undefined } as never, {} as never, new Images(), new Rootfs(), network);
    mkdirSync(join(home, 'empty-run'));
    await empty.onApplicationShutdown();
    expect(network.releases).toBe(1);
    expect(existsSync(join(home, 'empty-run'))).toBe(false);
  });

  it('ignores a set older than the last one applied', async () => {
    service.apply({ generation: 5, tasks: [task('a')] });
    const reply = service.apply({ generation: 4, tasks: [] });
    expect(reply).toMatchObject({ applied: false, generation: 5 });
    await waitFor(() => running('a'), { description: 'a running' });
  });

  it('hashes specs independently of key order', () => {
    expect(specHash({ taskId: 'x', image: 'i', env: { A: '1', B: '2' } })).toBe(specHash({ env: { B: '2', A: '1' }, image: 'i', taskId: 'x' }));
  });
});
