import type { ServiceSpec } from '@silo/contracts';
import { parseDurationMs } from './durations';
import { defaultName, parsePublish, parseRestart, serviceSpecFrom, splitCommand } from './spec-flags';
import { updatePatchFrom } from './update-flags';

describe('flags → ServiceSpec', () => {
  it('maps every docker-style flag of service create to its spec field', () => {
    const spec = serviceSpecFrom('team/web:1.0', ['nginx', '-g', 'daemon off;'], {
      name: 'web',
      replicas: '3',
      publish: ['8080:80', '5353:53/udp'],
      env: ['A=1', 'B=x=y'],
      label: ['tier=front'],
      cpus: '0.5',
      memory: '64Mi',
      reserveCpu: '250m',
      reserveMemory: '32Mi',
      pidsLimit: '100',
      constraint: ['node.labels.zone==eu'],
      placementPref: ['spread=node.labels.rack'],
      maxReplicasPerNode: '2',
      restart: 'on-failure:5',
      healthCmd: 'wget -q -O- localhost',
      healthInterval: '5s',
      healthRetries: '3',
      isolation: 'hardened',
      readOnly: true,
      user: '1000:1000',
      workdir: '/srv',
      entrypoint: '/bin/sh -c',
      network: 'bridge',
      stopGracePeriod: '30s',
      team: 'payments',
      updateParallelism: '2',
      updateDelay: '10s',
      updateMonitor: '1m',
      updateOrder: 'start-first',
      updateFailureAction: 'rollback',
      priority: '10',
      strategy: 'binpack',
    });
    expect(spec).toEqual<ServiceSpec>({
      name: 'web',
      image: 'team/web:1.0',
      replicas: 3,
      args: ['nginx', '-g', 'daemon off;'],
      command: ['/bin/sh', '-c'],
      env: { A: '1', B: 'x=y' },
      labels: { tier: 'front' },
      workingDir: '/srv',
      user: '1000:1000',
      network: 'bridge',
      ports: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ],
      restartPolicy: { name: 'on-failure', maxRetries: 5 },
      healthCheck: { type: 'exec', command: ['/bin/sh', '-c', 'wget -q -O- localhost'], intervalMs: 5000, retries: 3 },
      readOnlyRootfs: true,
      isolation: 'hardened',
      stopGracePeriodMs: 30_000,
      team: 'payments',
      resources: { cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024, cpuRequestMillis: 250, memoryRequestBytes: 32 * 1024 * 1024, pids: 100 },
      constraints: ['node.labels.zone==eu'],
      preferences: ['spread=node.labels.rack'],
      maxReplicasPerNode: 2,
      priority: 10,
      strategy: 'binpack',
      updateConfig: { parallelism: 2, delayMs: 10_000, monitorMs: 60_000, order: 'start-first', failureAction: 'rollback' },
    });
  });

  it('leaves out what no flag set, and names the service after the image', () => {
    expect(serviceSpecFrom('127.0.0.1:5000/team/my_app:2@sha256:abc', [], {})).toEqual({ name: 'my-app', image: '127.0.0.1:5000/team/my_app:2@sha256:abc' });
    expect(serviceSpecFrom('busybox', [], { mode: 'global' })).toEqual({ name: 'busybox', image: 'busybox', mode: 'global' });
    expect(defaultName('registry:5000/a/B.C')).toBe('b-c');
  });

  it('rejects bad input with the flag named and the right form shown', () => {
    expect(() => serviceSpecFrom('x', [], { publish: ['80'] })).toThrow('--publish "80": use HOST_PORT:CONTAINER_PORT[/tcp|udp]');
    expect(() => serviceSpecFrom('x', [], { publish: ['70000:80'] })).toThrow('ports are 1-65535');
    expect(() => serviceSpecFrom('x', [], { cpus: 'lots' })).toThrow('--cpus: invalid CPU quantity "lots"');
    expect(() => serviceSpecFrom('x', [], { memory: '64Q' })).toThrow('--memory: invalid memory quantity');
    expect(() => serviceSpecFrom('x', [], { env: ['NOVALUE'] })).toThrow('--env "NOVALUE": use KEY=VALUE');
    expect(() => serviceSpecFrom('x', [], { constraint: ['zone=eu'] })).toThrow('--constraint "zone=eu"');
    expect(() => serviceSpecFrom('x', [], { placementPref: ['binpack'] })).toThrow('spread=node.labels.KEY');
    expect(() => serviceSpecFrom('x', [], { replicas: '-1' })).toThrow('--replicas "-1"');
    expect(() => serviceSpecFrom('x', [], { mode: 'global', replicas: '2' })).toThrow('--replicas does not apply to --mode global');
    expect(() => serviceSpecFrom('x', [], { healthInterval: '5s' })).toThrow('need --health-cmd or --health-tcp');
    expect(() => parseRestart('always:3')).toThrow('use no, always, on-failure or on-failure:N');
    expect(() => parseDurationMs('soon')).toThrow('is not a duration');
  });

  it('parses the small forms', () => {
    expect(parsePublish('53:53/udp')).toEqual({ hostPort: 53, containerPort: 53, protocol: 'udp' });
    expect(parseRestart('always')).toEqual({ name: 'always' });
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2')).toBe(2000);
    expect(splitCommand(`curl -f "http://x/a b" 'c d'`)).toEqual(['curl', '-f', 'http://x/a b', 'c d']);
  });
});

describe('service update → PATCH body', () => {
  const current: ServiceSpec = {
    name: 'web',
    image: 'web:1',
    env: { A: '1', B: '2' },
    ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    constraints: ['node.labels.zone==eu'],
    resources: { cpuLimitMillis: 500, memoryLimitBytes: 1024 },
    updateConfig: { parallelism: 1, order: 'stop-first' },
  };

  it('sends only what changed, with edited maps and lists computed from the current spec', () => {
    expect(updatePatchFrom(current, { image: 'web:2' })).toEqual({ image: 'web:2' });
    expect(updatePatchFrom(current, { envAdd: ['C=3', 'A=9'], envRm: ['B'] })).toEqual({ env: { A: '9', C: '3' } });
    expect(updatePatchFrom(current, { publishAdd: ['9090:90'], publishRm: ['8080:80'] })).toEqual({ ports: [{ hostPort: 9090, containerPort: 90, protocol: 'tcp' }] });
    expect(updatePatchFrom(current, { constraintRm: ['node.labels.zone==eu'], constraintAdd: ['node.hostname!=h1'] })).toEqual({ constraints: ['node.hostname!=h1'] });
    expect(updatePatchFrom(current, { memory: '64Mi' })).toEqual({ resources: { cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024 } });
    expect(updatePatchFrom(current, { updateParallelism: '3' })).toEqual({ updateConfig: { parallelism: 3, order: 'stop-first' } });
    expect(updatePatchFrom(current, { replicas: '6', env: ['D=4'] })).toEqual({ replicas: 6, env: { A: '1', B: '2', D: '4' } });
    expect(updatePatchFrom(current, {})).toEqual({});
  });
});
