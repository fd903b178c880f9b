import type { NetworkMode } from '@silo/contracts';

/**
 * The resolv.conf a container gets, from the host's (as Docker does): host mode uses it as it is;
 * bridge mode drops loopback nameservers (127.0.0.53 of systemd-resolved, ::1 — unreachable from the
 * container's own namespace) and keeps search/options; none gets nothing (there is no network).
 * When no nameserver is left, the container has none: Silo never invents a public resolver.
 */
export function containerResolvConf(mode: NetworkMode, hostResolvConf: string): string {
  if (mode === 'none') return '';
  if (mode === 'host') return hostResolvConf;
  const lines = hostResolvConf.split('\n').filter((line) => {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    return !match || !isLoopback(match[1]!);
  });
  const text = lines.join('\n').trim();
  return text ? `${text}\n` : '';
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}
