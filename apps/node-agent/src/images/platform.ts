import { arch } from 'node:os';
import { NoMatchingPlatform } from './errors/image-errors';
import { Descriptor, Platform } from './oci-types';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' };

/** This host's platform in OCI terms (arm64 is v8, 32-bit arm the v7 Node is built for). */
export function hostPlatform(nodeArch = arch()): Platform {
  const architecture = ARCH[nodeArch] ?? nodeArch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') return { os: 'linux', architecture, variant: 'v7' };
  return { os: 'linux', architecture };
}

export function formatPlatform(p: Partial<Platform>): string {
  return [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');
}

function normalizeArch(a: string | undefined): string {
  return ARCH_ALIASES[a ?? ''] ?? a ?? '';
}

function variantLevel(variant: string | undefined): number | undefined {
  const m = /^v(\d+)$/.exec(variant ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * How well an image for `candidate` runs on `host` (higher is better), or undefined when it does
 * not. Variants as containerd orders them: the exact variant first, then the best lower one
 * (arm v7 runs v6 and v5; amd64 v3 runs v2), then an image that names none. arm64 v8 and
 * amd64 v1 are the defaults, so "no variant" equals them.
 */
export function platformScore(host: Platform, candidate: Partial<Platform> | undefined): number | undefined {
  if (!candidate || candidate.os !== host.os || normalizeArch(candidate.architecture) !== normalizeArch(host.architecture)) return undefined;
  const arch = normalizeArch(host.architecture);
  const defaultVariant = arch === 'arm64' ? 'v8' : arch === 'amd64' ? 'v1' : undefined;
  const hostVariant = host.variant ?? defaultVariant;
  const wanted = candidate.variant ?? defaultVariant;
  if (wanted === undefined || hostVariant === undefined) return candidate.variant === undefined ? 50 : hostVariant === undefined ? undefined : 0;
  if (wanted === hostVariant) return candidate.variant === undefined ? 90 : 100;
  const h = variantLevel(hostVariant);
  const c = variantLevel(wanted);
  if (h === undefined || c === undefined || c > h) return undefined;
  return 80 - (h - c);
}

/** The index entry to pull on `host`: the best-scoring one, the first of equals. */
export function selectManifest(manifests: readonly Descriptor[], host: Platform): Descriptor {
  let best: { d: Descriptor; score: number } | undefined;
  for (const d of manifests) {
    const score = platformScore(host, d.platform);
    if (score !== undefined && (!best || score > best.score)) best = { d, score };
  }
  if (!best) throw new NoMatchingPlatform(formatPlatform(host), manifests.filter((d) => d.platform).map((d) => formatPlatform(d.platform!)));
  return best.d;
}
