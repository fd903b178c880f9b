import { makeTempDir, TempDir } from '@silo/testing';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLabels } from '../config/node-agent.config';
import { NodeIdentityStore } from './node-identity.store';

describe('NodeIdentityStore', () => {
  let dir: TempDir;
  beforeEach(async () => (dir = await makeTempDir()));
  afterEach(() => dir.cleanup());

  it('generates an id once and keeps it (mode 0600)', () => {
    const store = new NodeIdentityStore(join(dir.path, 'node-agent'));
    const id = store.resolve();
    expect(id).toMatch(/^node-[0-9a-f]{10}$/);
    expect(new NodeIdentityStore(join(dir.path, 'node-agent')).resolve()).toBe(id);
    expect(statSync(join(dir.path, 'node-agent', 'node-id')).mode & 0o777).toBe(0o600);
  });

  it('takes a configured id on first start and refuses a different one later', () => {
    const store = new NodeIdentityStore(dir.path);
    expect(store.resolve('edge-1')).toBe('edge-1');
    expect(readFileSync(join(dir.path, 'node-id'), 'utf8').trim()).toBe('edge-1');
    expect(() => store.resolve('edge-2')).toThrow(/belongs to node edge-1/);
  });

  it('refuses a corrupt id file', () => {
    writeFileSync(join(dir.path, 'node-id'), '../../etc\n');
    expect(() => new NodeIdentityStore(dir.path).resolve()).toThrow(/invalid node id/);
  });
});

describe('parseLabels', () => {
  it('parses key=value pairs', () => {
    expect(parseLabels('zone=eu, disk=ssd,empty=')).toEqual({ zone: 'eu', disk: 'ssd', empty: '' });
    expect(parseLabels('')).toEqual({});
  });
});
