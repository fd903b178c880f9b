/** Pure helpers of the runtime benchmark: latency summaries and formatting. No I/O. */

export interface Latency {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0…100) of unsorted values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The median proper (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function latency(values: number[]): Latency {
  return {
    n: values.length,
    min: values.length ? Math.min(...values) : Number.NaN,
    p50: median(values),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
  };
}

/** `12.3`, `0.84`, `–` for a missing value: milliseconds (or anything) for a table cell. */
export function fmt(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(decimals);
}

/** A JSON-safe number rounded to `decimals`, or null. */
export function num(value: number | null | undefined, decimals = 2): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export type Verdict = 'pass' | 'FAIL' | 'n/a';

/** pass when `value ≤ target`; n/a when the value is missing. */
export function atMost(value: number | null | undefined, target: number): Verdict {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value <= target ? 'pass' : 'FAIL';
}

/** VmRSS (or any `Name:  N kB` field) of a /proc/PID/status or smaps_rollup text, in KiB. */
export function kibField(text: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}
