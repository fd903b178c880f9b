import type { StatusReport } from '@silo/contracts';
import { makeTempDir, TempDir, waitFor } from '@silo/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { alive, freePorts, Platform, platformEnv, Ports, ROOT, silo } from './platform';

const SIX = ['api', 'layer-store', 'nats', 'node-agent', 'registry', 'scheduler'];

describe('smoke: the platform as npm start runs it', () => {
  let home: TempDir;
  let ports: Ports;
  let platform: Platform;
  let firstPassword: string;
  let nodeId: string;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-');
    ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
  });

  afterAll(async () => {
    await platform?.interrupt();
    await home?.cleanup();
  });

  it('prints the generated admin credentials and keeps them in SILO_HOME, mode 0600', () => {
    const file = join(home.path, 'admin-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(file, 'utf8'));
    expect(creds).toMatchObject({ username: 'admin', apiUrl: `http://127.0.0.1:${ports.api}`, registry: `127.0.0.1:${ports.registry}` });
    expect(platform.output).toContain(`password:  ${creds.password}`);
    firstPassword = creds.password;
  });

  it('silo status -o json reports all six components healthy', () => {
    const result = silo(['status', '-o', 'json'], platformEnv(home.path, ports));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as StatusReport;
    expect(report.healthy).toBe(true);
    expect(report.components.map((c) => c.name).sort()).toEqual(SIX);
    expect(report.components.every((c) => c.state === 'healthy')).toBe(true);
    nodeId = report.components.find((c) => c.name === 'node-agent')!.instance!;
    expect(nodeId).toMatch(/^node-[0-9a-f]+$/);
  });

  it('prefixes console output per service and writes each service log under SILO_HOME/logs', () => {
    for (const name of ['registry', 'layer-store', 'scheduler', 'api', 'node-agent', 'nats']) {
      expect(platform.output).toMatch(new RegExp(`^${name}\\s+\\| `, 'm'));
      expect(existsSync(join(home.path, 'logs', `${name}.log`))).toBe(true);
    }
    const registryLog = readFileSync(join(home.path, 'logs', 'registry.log'), 'utf8').split('\n')[0]!;
    expect(JSON.parse(registryLog)).toMatchObject({ service: 'registry', level: expect.any(String), msg: expect.any(String) });
  });

  it('serves /healthz and /metrics on every HTTP service', async () => {
    for (const port of [ports.registry, ports.layerStore, ports.api]) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('silo_service_info');
    }
  });

  it('stops cleanly on Ctrl-C: exit 0 and no process left', async () => {
    const children = Object.values(platform.childPids());
    expect(children).toHaveLength(6);
    expect(await platform.interrupt()).toBe(0);
    await waitFor(() => children.every((pid) => !alive(pid)), { timeoutMs: 10_000, description: 'every child to exit' });
    expect(platform.output).toMatch(/registry\s+\| .*registry stopped/);
    expect(existsSync(join(home.path, 'launcher.json'))).toBe(false);
  });

  it('silo status says the api is unreachable (non-zero) while the platform is down', () => {
    const result = silo(['status'], platformEnv(home.path, ports));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the api');
  });

  it('a second start reuses the state: same credentials, same node', async () => {
    await platform.start();
    const creds = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8'));
    expect(creds.password).toBe(firstPassword);
    const report = JSON.parse(silo(['status', '-o', 'json'], platformEnv(home.path, ports)).stdout) as StatusReport;
    expect(report.healthy).toBe(true);
    expect(report.components.find((c) => c.name === 'node-agent')?.instance).toBe(nodeId);
  });

  it('refuses a second platform on the same SILO_HOME', () => {
    const second = spawnSync(process.execPath, [join(ROOT, 'dist/tools/launcher/src/main.js')], {
      env: platformEnv(home.path, ports),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('Silo is already running from');
  });
});

describe('bad configuration', () => {
  it('stops a service at start with a message naming the variable', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/apps/registry/src/main.js')], {
      env: { ...process.env, SILO_REGISTRY_PORT: 'eighty', SILO_LOG_LEVEL: 'loud' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('registry: invalid configuration');
    expect(result.stderr).toContain('SILO_REGISTRY_PORT="eighty"');
    expect(result.stderr).toContain('SILO_LOG_LEVEL="loud"');
  });

  it('the launcher refuses a bad port with its name', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/tools/launcher/src/main.js')], {
      env: { ...process.env, SILO_API_PORT: '99999', SILO_HOME: '/tmp/never-created-silo' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('SILO_API_PORT="99999"');
  });
});
