import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** Silo's version: the workspace package.json's, found from wherever the code runs (src or dist). */
export function siloVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'silo' && pkg.version) return (cached = pkg.version);
  }
  return (cached = '0.0.0-unknown');
}

/** The repository (or installed tree) root: where package.json named "silo" lives. */
export function siloRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'silo') return dir;
  }
  return process.cwd();
}
