/** Pure helpers of the registry benchmark: summaries, ratios, tables, Prometheus text. No I/O. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: number[]): Summary {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/** a / b, rounded to 3 decimals; null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, 3);
}

export function round(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Seconds for people: `1.234 s`, `0.087 s`. */
export function fmtSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  return `${s.toFixed(s < 10 ? 3 : 2)} s`;
}

export function fmtRange(summary: Summary | undefined): string {
  if (!summary || summary.n === 0) return '–';
  return `${summary.min.toFixed(3)}–${summary.max.toFixed(3)}`;
}

/** A plain-text table: columns padded to their widest cell, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Parses an integer setting (`BENCH_RUNS=5`): default when unset or empty, an error naming the variable otherwise. */
export function intSetting(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return Number(raw);
}

/** `60,40,30,20` → [60, 40, 30, 20] (MiB of each large layer). */
export function layerSizesSetting(env: Record<string, string | undefined>, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const sizes = raw.split(',').map((s) => s.trim());
  if (sizes.length === 0 || sizes.some((s) => !/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0)) {
    throw new Error(`${name} must be a comma-separated list of sizes in MiB (e.g. 60,40,30,20), got "${raw}"`);
  }
  return sizes.map(Number);
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped; label values unescaped). */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const labelText = m[3] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(labelText); l; l = re.exec(labelText)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return samples;
}

export interface RouteTime {
  method: string;
  route: string;
  count: number;
  totalSeconds: number;
}

/** Per (method, route): requests and total seconds, from `silo_http_request_duration_seconds`, busiest first. */
export function routeTimes(samples: PromSample[]): RouteTime[] {
  const byKey = new Map<string, RouteTime>();
  for (const s of samples) {
    const kind = s.name === 'silo_http_request_duration_seconds_sum' ? 'sum' : s.name === 'silo_http_request_duration_seconds_count' ? 'count' : undefined;
    if (!kind) continue;
    const method = s.labels['method'] ?? '?';
    const route = s.labels['route'] ?? '?';
    const key = `${method} ${route}`;
    const entry = byKey.get(key) ?? { method, route, count: 0, totalSeconds: 0 };
    if (kind === 'sum') entry.totalSeconds += s.value;
    else entry.count += s.value;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => b.totalSeconds - a.totalSeconds);
}

/** utime + stime (clock ticks) of a `/proc/PID/stat` line; the command name may contain spaces and parentheses. */
export function cpuTicksFromStat(stat: string): { self: number; children: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
  const n = (field: number) => Number(fields[field - 3] ?? 0);
  return { self: n(14) + n(15), children: n(16) + n(17) };
}

/** Busy ticks of the `cpu …` line of /proc/stat: user nice system irq softirq steal (not idle, iowait, or guest, already in user). */
export function busyTicksFromProcStat(line: string): number {
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return user + nice + system + irq + softirq + steal;
}
