import type { ByteRange } from '../storage/blob-backend';

export type RangeResolution = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const SPEC = /^(\d{0,15})-(\d{0,15})$/;

/**
 * An HTTP `Range` header (RFC 9110 §14) against a blob of `size` bytes. One range of unit `bytes`:
 * `bytes=a-b` (b past the end is clamped), `bytes=a-`, `bytes=-n` (the last n). No header, another
 * unit, or several ranges (multipart is not offered): the whole blob. A malformed `bytes` range, or
 * one that starts at or after the end: unsatisfiable (416).
 */
export function resolveRange(header: string | undefined, size: number): RangeResolution {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(.*?)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const specs = match[1]!.split(',').map((s) => s.trim());
  if (specs.length > 1) return { kind: 'full' };
  const spec = SPEC.exec(specs[0]!);
  if (!spec) return { kind: 'unsatisfiable' };
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'unsatisfiable' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'partial', range: { start, end: size - 1 } };
  const end = Number(last);
  if (end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}
