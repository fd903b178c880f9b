import { Option } from 'commander';
import { stringify } from 'yaml';
import type { CliIo } from './io';
import { renderTable } from './table';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output table|json|yaml`, the same on every list and inspect command. */
export function outputOption(defaultFormat: OutputFormat = 'table'): Option {
  return new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default(defaultFormat);
}

/** JSON or YAML of the data for programs, or the human rendering. */
export function formatData(format: OutputFormat, data: unknown, human: () => string): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data, { aliasDuplicateObjects: false });
  return human();
}

export function print(io: CliIo, format: OutputFormat, data: unknown, human: () => string): void {
  io.out(formatData(format, data, human));
}

/** A list: a table of columns for people, the data itself for programs; a hint when it is empty. */
export function printList<T>(io: CliIo, format: OutputFormat, data: unknown, items: T[], columns: Array<[string, (item: T) => string]>, empty: string): void {
  print(io, format, data, () =>
    items.length === 0 ? `${empty}\n` : renderTable(columns.map(([h]) => h), items.map((item) => columns.map(([, cell]) => cell(item)))),
  );
}

/** `key: value` lines for inspect in table mode. */
export function renderFields(fields: Array<[string, string | number | undefined]>): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v === undefined || v === '' ? '-' : String(v)}`).join('\n') + '\n';
}

export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : '-';
}

/** "3s ago", "5m ago" from an ISO time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}
