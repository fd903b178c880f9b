import type { Principal, PortMapping } from './types';

/** What the principal's role allows (the api enforces it; this only hides what would be refused). */
const WRITE_TEAM_ROLES = new Set(['push', 'delete', 'admin']);

export function isAdmin(principal: Principal): boolean {
  return principal.role === 'admin';
}

/** Create, update, scale, roll back, remove: admins, and members with a write role in the owning team. */
export function canManageWorkload(principal: Principal, team?: string): boolean {
  if (principal.role === 'admin') return true;
  if (principal.role !== 'member') return false;
  const writable = principal.teams.filter((t) => WRITE_TEAM_ROLES.has(t.role));
  return team ? writable.some((t) => t.team === team) : writable.length > 0;
}

/** Teams a member may deploy into (admins may name any team, or none). */
export function deployTeams(principal: Principal): string[] {
  return principal.teams.filter((t) => WRITE_TEAM_ROLES.has(t.role)).map((t) => t.team);
}

/** Untag / delete in a repository: admins, and the namespace team's `delete` or `admin` members. */
export function canDeleteImages(principal: Principal, repository: string): boolean {
  if (principal.role === 'admin') return true;
  if (principal.role !== 'member') return false;
  const team = repository.split('/')[0];
  return principal.teams.some((t) => t.team === team && (t.role === 'delete' || t.role === 'admin'));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatCpu(millis: number): string {
  if (millis % 1000 === 0) return `${millis / 1000} CPU`;
  return millis < 1000 ? `${millis}m` : `${(millis / 1000).toFixed(2)} CPU`;
}

export function relativeTime(iso: string | Date | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const at = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  if (!Number.isFinite(at)) return '—';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

export function percent(used: number, total: number): number {
  if (!total || total <= 0) return 0;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

/**
 * A command line → argv, as a POSIX shell splits words: whitespace separates, '…' is literal,
 * "…" allows \" \\ \$ \`, a backslash outside quotes escapes the next character. A JSON array
 * (`["sh", "-c", "…"]`) is taken as it is.
 */
export function splitCommand(input: string): string[] {
  const text = input.trim();
  if (!text) return [];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('command: not a valid JSON array');
    }
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error('command: a JSON array must hold only strings');
    return parsed as string[];
  }
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`command: unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** `KEY=value` lines (blank lines and `#` comments skipped) → an env object. */
export function parseEnv(input: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, raw] of input.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`env line ${index + 1}: expected KEY=value, got "${line}"`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

/** `8080:80`, `53:53/udp`, `9000` (same port inside), separated by commas or spaces. */
export function parsePorts(input: string): PortMapping[] {
  const ports: PortMapping[] = [];
  for (const item of input.split(/[\s,]+/).filter(Boolean)) {
    const match = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/i.exec(item);
    if (!match) throw new Error(`ports: "${item}" is not HOST:CONTAINER[/tcp|udp]`);
    const containerPort = Number(match[2]);
    const hostPort = match[1] ? Number(match[1]) : containerPort;
    if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) throw new Error(`ports: "${item}" is out of range 1-65535`);
    ports.push({ hostPort, containerPort, protocol: (match[3]?.toLowerCase() as 'tcp' | 'udp' | undefined) ?? 'tcp' });
  }
  return ports;
}
