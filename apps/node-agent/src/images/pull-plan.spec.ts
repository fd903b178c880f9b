import { BadImageReference, NoMatchingPlatform } from './errors/image-errors';
import { Descriptor } from './oci-types';
import { hostPlatform, platformScore, selectManifest } from './platform';
import { planPull } from './pull-plan';

const config = { defaultRegistryUrl: 'http://127.0.0.1:5000', insecureRegistries: ['registry.lan:5000'] };
const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe('planPull (reference → what to pull, from where)', () => {
  it('sends references without a host to the default registry, tag latest by default', () => {
    expect(planPull('team/app', config)).toEqual({
      registry: { host: '127.0.0.1:5000', baseUrl: 'http://127.0.0.1:5000' },
      repository: 'team/app',
      tag: 'latest',
      canonical: '127.0.0.1:5000/team/app:latest',
    });
    expect(planPull('app:1.2', config).canonical).toBe('127.0.0.1:5000/app:1.2');
  });

  it('keeps a named host: plain HTTP for loopback and configured insecure hosts, HTTPS otherwise', () => {
    expect(planPull('127.0.0.1:6000/x/y:v1', config).registry).toEqual({ host: '127.0.0.1:6000', baseUrl: 'http://127.0.0.1:6000' });
    expect(planPull('localhost:6000/y', config).registry.baseUrl).toBe('http://localhost:6000');
    expect(planPull('registry.lan:5000/y', config).registry.baseUrl).toBe('http://registry.lan:5000');
    expect(planPull('registry.example.com/y', config).registry.baseUrl).toBe('https://registry.example.com');
    // the default registry by its host: its URL's scheme
    expect(planPull('127.0.0.1:5000/team/app:v2', { defaultRegistryUrl: 'https://127.0.0.1:5000' }).registry.baseUrl).toBe('https://127.0.0.1:5000');
  });

  it('pulls by digest when one is given (even next to a tag)', () => {
    const plan = planPull(`127.0.0.1:5000/team/app:v1@${D(1)}`, config);
    expect(plan).toMatchObject({ digest: D(1), canonical: `127.0.0.1:5000/team/app@${D(1)}` });
    expect(plan.tag).toBeUndefined();
  });

  it('rejects bad references with a reason', () => {
    for (const bad of ['', 'UPPER/case', 'app:bad tag', 'app@sha256:short', 'app@md5:abcd', 'a//b']) {
      expect(() => planPull(bad, config)).toThrow(BadImageReference);
    }
    expect(() => planPull('app@sha256:short', config)).toThrow(/invalid image reference/);
  });
});

describe('platform selection', () => {
  const entry = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `${architecture}/${variant ?? ''}/${os}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });

  it('knows this host', () => {
    expect(hostPlatform('x64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(hostPlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('picks the host os/arch out of an index, skipping attestations and other systems', () => {
    const index = [entry('unknown', undefined, 'unknown'), entry('arm64', 'v8'), entry('amd64', undefined, 'windows'), entry('amd64'), entry('s390x')];
    expect(selectManifest(index, { os: 'linux', architecture: 'amd64' }).digest).toBe('amd64//linux');
    expect(selectManifest(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest).toBe('arm64/v8/linux');
  });

  it('prefers the exact variant, then the best lower one, and never a higher one', () => {
    const arm = { os: 'linux', architecture: 'arm', variant: 'v7' };
    expect(selectManifest([entry('arm', 'v6'), entry('arm', 'v7'), entry('arm', 'v5')], arm).digest).toBe('arm/v7/linux');
    expect(selectManifest([entry('arm', 'v5'), entry('arm', 'v6')], arm).digest).toBe('arm/v6/linux');
    expect(() => selectManifest([entry('arm', 'v8')], arm)).toThrow(NoMatchingPlatform);
    // amd64: v1 is the baseline, v3 needs a newer CPU than assumed
    expect(platformScore({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64', variant: 'v3' })).toBeUndefined();
    expect(platformScore({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'x86_64' })).toBeDefined();
    // arm64 images without a variant are v8
    expect(selectManifest([entry('arm64')], { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest).toBe('arm64//linux');
  });

  it('names what the index has when nothing fits', () => {
    expect(() => selectManifest([entry('arm64', 'v8'), entry('s390x')], { os: 'linux', architecture: 'amd64' })).toThrow(
      'no image for linux/amd64 in the index (it has: linux/arm64/v8, linux/s390x)',
    );
  });
});
