import { isDigest, parseImageReference } from '@silo/domain';
import { BadImageReference } from './errors/image-errors';

/** Where a registry is and how to speak to it. */
export interface RegistryEndpoint {
  /** host[:port] as it appears in references. */
  host: string;
  /** `http://host:port` or `https://host:port`. */
  baseUrl: string;
}

/** What one pull fetches: registry, repository, and the tag or digest asked for. */
export interface PullPlan {
  registry: RegistryEndpoint;
  repository: string;
  tag?: string;
  digest?: string;
  /** `host/repo:tag` or `host/repo@sha256:…` (a reference with both keeps the digest). */
  canonical: string;
}

export interface PullPlanConfig {
  /** Where references without a registry host go, e.g. `http://127.0.0.1:5000`. */
  defaultRegistryUrl: string;
  /** Hosts (host[:port]) spoken to over plain HTTP besides loopback ones. */
  insecureRegistries?: readonly string[];
}

export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The endpoint of the configured default registry (its URL fixes the scheme). */
export function defaultEndpoint(config: PullPlanConfig): RegistryEndpoint {
  let url: URL;
  try {
    url = new URL(config.defaultRegistryUrl);
  } catch {
    throw new Error(`default registry URL "${config.defaultRegistryUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`default registry URL "${config.defaultRegistryUrl}" must be http(s)`);
  return { host: url.host, baseUrl: `${url.protocol}//${url.host}` };
}

/**
 * A reference → what to pull and from where. `team/app:1` goes to the default registry;
 * `127.0.0.1:5000/team/app@sha256:…` to that host, over plain HTTP because it is loopback (or
 * listed as insecure), HTTPS otherwise.
 */
export function planPull(reference: string, config: PullPlanConfig): PullPlan {
  let parsed: ReturnType<typeof parseImageReference>;
  try {
    parsed = parseImageReference(reference);
  } catch (err) {
    throw new BadImageReference(reference, err instanceof Error ? err.message : String(err));
  }
  if (parsed.digest && !isDigest(parsed.digest)) throw new BadImageReference(reference, `unsupported digest "${parsed.digest}"`);
  const fallback = defaultEndpoint(config);
  let registry: RegistryEndpoint;
  if (!parsed.registry || parsed.registry === fallback.host) registry = fallback;
  else {
    const insecure = isLoopbackHost(parsed.registry) || (config.insecureRegistries ?? []).includes(parsed.registry);
    registry = { host: parsed.registry, baseUrl: `${insecure ? 'http' : 'https'}://${parsed.registry}` };
  }
  const name = `${registry.host}/${parsed.repository}`;
  return {
    registry,
    repository: parsed.repository,
    ...(parsed.digest ? { digest: parsed.digest } : { tag: parsed.tag ?? 'latest' }),
    canonical: parsed.digest ? `${name}@${parsed.digest}` : `${name}:${parsed.tag ?? 'latest'}`,
  };
}
