/**
 * Resource quantities in the habit of Kubernetes and Docker: CPUs as decimals (`0.5`, `2`) or
 * millicores (`500m`); memory as bytes with binary (`64Mi`) or decimal (`64M`) suffixes.
 * Internally CPU is integer millicores and memory integer bytes, so sums never drift.
 */
export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const MEMORY_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  b: 1,
  B: 1,
};

/** `0.5` → 500, `2` → 2000, `250m` → 250. */
export function parseCpu(text: string): number {
  const value = text.trim();
  const milli = /^(\d+)m$/.exec(value);
  if (milli) return Number(milli[1]);
  if (!/^(\d+(\.\d{1,3})?|\.\d{1,3})$/.test(value)) {
    throw new QuantityError(`invalid CPU quantity "${text}": use a number of CPUs (0.5, 2) or millicores (500m)`);
  }
  return Math.round(Number(value) * 1000);
}

/** `64Mi` → 67108864, `1G` → 1e9, `512` → 512. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKMGT]i?|b|B)?$/.exec(text.trim());
  const factor = match ? MEMORY_SUFFIX[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) {
    throw new QuantityError(`invalid memory quantity "${text}": use bytes with a suffix such as 64Mi, 1Gi or 500M`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(Math.round(bytes))) throw new QuantityError(`memory quantity "${text}" is too large`);
  return Math.round(bytes);
}

/** 67108864 → `64Mi`; exact binary units when they fit, otherwise one decimal. */
export function formatMemory(bytes: number): string {
  const units = ['Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const size = MEMORY_SUFFIX[unit];
    if (bytes >= size) {
      const value = bytes / size;
      return Number.isInteger(value) ? `${value}${unit}` : `${value.toFixed(1)}${unit}`;
    }
  }
  return `${bytes}`;
}

/** 500 → `0.5`, 2000 → `2`. */
export function formatCpu(millicores: number): string {
  return `${millicores / 1000}`;
}
