import { makeTempDir, TempDir } from '@silo/testing';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceLock } from './instance-lock';
import { loadLauncherConfig } from './launcher-config';
import { formatLine, prefixFor } from './log-format';

describe('launcher config', () => {
  it('has working single-host defaults', () => {
    const config = loadLauncherConfig({}, '/repo');
    expect(config).toMatchObject({ home: '/repo/.silo', natsPort: 4222, registryPort: 5000, layerStorePort: 7071, apiPort: 7070 });
    expect(config.externalNatsUrl).toBeUndefined();
  });

  it('names a bad variable', () => {
    expect(() => loadLauncherConfig({ SILO_REGISTRY_PORT: 'x' }, '/')).toThrow('SILO_REGISTRY_PORT="x"');
    expect(() => loadLauncherConfig({ SILO_NATS_URL: 'http://nats' }, '/')).toThrow(/SILO_NATS_URL="http:\/\/nats"/);
  });
});

describe('console formatting', () => {
  it('turns JSON log lines into short readable lines', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-01-01T12:34:56.789Z', context: 'NATS', msg: 'retrying' });
    expect(formatLine(line)).toBe('12:34:56 WARN  [NATS] retrying');
    expect(formatLine('plain text')).toBe('plain text');
    expect(formatLine('{not json')).toBe('{not json');
  });

  it('pads the service prefix', () => {
    expect(prefixFor('api', 11, 0, false)).toBe('api         |');
  });
});

describe('InstanceLock', () => {
  let dir: TempDir;
  beforeEach(async () => (dir = await makeTempDir()));
  afterEach(() => dir.cleanup());

  it('is released on stop', () => {
    const lock = new InstanceLock(dir.path);
    expect(lock.acquire()).toEqual([]);
    expect(existsSync(join(dir.path, 'launcher.json'))).toBe(true);
    lock.release();
    expect(existsSync(join(dir.path, 'launcher.json'))).toBe(false);
  });

  it('finds the leftovers of a launcher that died, and only processes of this SILO_HOME', async () => {
    const idle = ['-e', 'setTimeout(() => undefined, 30000)'];
    const leftover = spawn(process.execPath, [...idle, dir.path]);
    const stranger = spawn(process.execPath, idle);
    try {
      writeFileSync(
        join(dir.path, 'launcher.json'),
        JSON.stringify({ pid: 999999999, startedAt: '', children: { nats: leftover.pid, other: stranger.pid } }),
      );
      expect(new InstanceLock(dir.path).acquire()).toEqual([leftover.pid]);
    } finally {
      leftover.kill('SIGKILL');
      stranger.kill('SIGKILL');
    }
  });
});
