import type { Principal } from './types';
import { canDeleteImages, canManageWorkload, formatBytes, formatCpu, parseEnv, parsePorts, relativeTime, shortDigest, splitCommand } from './util';

const principal = (role: Principal['role'], teams: Principal['teams'] = []): Principal => ({ kind: 'user', name: 'u', role, teams, via: 'session' });

describe('splitCommand', () => {
  it('splits words as a POSIX shell does', () => {
    expect(splitCommand(`sh -c 'while true; do echo hello-dashboard; sleep 1; done'`)).toEqual(['sh', '-c', 'while true; do echo hello-dashboard; sleep 1; done']);
    expect(splitCommand(`echo "a \\"b\\" $x" c\\ d ''`)).toEqual(['echo', 'a "b" $x', 'c d', '']);
    expect(splitCommand('  ')).toEqual([]);
  });

  it('takes a JSON array as it is, and refuses bad input', () => {
    expect(splitCommand('["sh", "-c", "echo hi"]')).toEqual(['sh', '-c', 'echo hi']);
    expect(() => splitCommand('[1, 2]')).toThrow('only strings');
    expect(() => splitCommand(`echo 'open`)).toThrow("unterminated ' quote");
  });
});

describe('parseEnv and parsePorts', () => {
  it('reads KEY=value lines, skipping blanks and comments', () => {
    expect(parseEnv('A=1\n\n# note\nB=x=y\n')).toEqual({ A: '1', B: 'x=y' });
    expect(() => parseEnv('A=1\nnope')).toThrow('env line 2');
  });

  it('reads host:container[/proto] lists', () => {
    expect(parsePorts('8080:80, 53:53/udp 9000')).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 53, containerPort: 53, protocol: 'udp' },
      { hostPort: 9000, containerPort: 9000, protocol: 'tcp' },
    ]);
    expect(() => parsePorts('80:70000')).toThrow('out of range');
    expect(() => parsePorts('web')).toThrow('is not HOST:CONTAINER');
  });
});

describe('permissions (what the dashboard shows; the api enforces)', () => {
  it('admins manage everything, viewers nothing, members their teams with a write role', () => {
    expect(canManageWorkload(principal('admin'), 'any')).toBe(true);
    expect(canManageWorkload(principal('viewer'))).toBe(false);
    const member = principal('member', [
      { team: 'web', role: 'push' },
      { team: 'data', role: 'pull' },
    ]);
    expect(canManageWorkload(member)).toBe(true);
    expect(canManageWorkload(member, 'web')).toBe(true);
    expect(canManageWorkload(member, 'data')).toBe(false);
    expect(canManageWorkload(principal('member', [{ team: 'data', role: 'pull' }]))).toBe(false);
    expect(canDeleteImages(member, 'web/app')).toBe(false);
    expect(canDeleteImages(principal('member', [{ team: 'web', role: 'delete' }]), 'web/app')).toBe(true);
  });
});

describe('formatting', () => {
  it('bytes, CPU, digests and times', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(16 * 2 ** 30)).toBe('16 GiB');
    expect(formatBytes(null)).toBe('—');
    expect(formatCpu(2000)).toBe('2 CPU');
    expect(formatCpu(250)).toBe('250m');
    expect(formatCpu(1500)).toBe('1.50 CPU');
    expect(shortDigest(`sha256:${'a'.repeat(64)}`)).toBe('sha256:aaaaaaaaaaaa');
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime('2026-01-01T11:59:30Z', now)).toBe('30s ago');
    expect(relativeTime('2026-01-01T09:00:00Z', now)).toBe('3h ago');
    expect(relativeTime(undefined, now)).toBe('—');
  });
});
