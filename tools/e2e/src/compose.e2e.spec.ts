import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './platform';

/** docker-compose (Debian's package; there is no Docker engine here) must accept the file. */
describe('docker-compose.yml', () => {
  const compose = (args: string[]) => spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), ...args], { encoding: 'utf8' });

  it('is accepted by docker-compose config', () => {
    const result = compose(['config', '-q']);
    if (result.error) throw new Error(`docker-compose is not installed (apt-get install docker-compose; .ci/run does it): ${result.error.message}`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs the control plane, each service from a file the build produces', () => {
    const services = compose(['config', '--services']).stdout.trim().split('\n').sort();
    expect(services).toEqual(['api', 'layer-store', 'nats', 'registry', 'scheduler']);
    const text = compose(['config']).stdout;
    expect(text).toContain('--jetstream');
    for (const service of ['registry', 'layer-store', 'scheduler', 'api']) {
      const main = `dist/apps/${service}/src/main.js`;
      expect(text).toContain(main);
      expect(existsSync(join(ROOT, main))).toBe(true);
    }
    expect(compose(['config', '--volumes']).stdout.trim().split('\n').sort()).toEqual(['nats-data', 'silo-home']);
  });

  it('has the services reach each other by service name: loopback in a container is the container itself', () => {
    const config = parse(compose(['config']).stdout) as { services: Record<string, { environment?: Record<string, string>; ports?: unknown[] }> };
    const env = (service: string) => config.services[service]?.environment ?? {};
    expect(env('registry')['SILO_LAYER_STORE_URL']).toBe('http://layer-store:7071');
    for (const service of ['registry', 'layer-store', 'scheduler', 'api']) {
      expect(env(service)['SILO_NATS_URL']).toBe('nats://nats:4222');
      for (const [name, value] of Object.entries(env(service))) {
        if (name.endsWith('_URL') && name !== 'SILO_API_PUBLIC_URL') expect(`${service} ${name}=${value}`).not.toMatch(/127\.0\.0\.1|localhost/);
      }
    }
    // clients follow the registry to the layer store (blob redirects, direct uploads): both published
    expect(JSON.stringify(config.services['layer-store']?.ports)).toContain('7071');
    expect(JSON.stringify(config.services['registry']?.ports)).toContain('5000');
  });
});
