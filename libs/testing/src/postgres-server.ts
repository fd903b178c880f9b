import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess, track } from './child-processes';
import { freePort } from './free-port';
import { makeTempDir } from './temp-dir';
import { waitFor } from './wait-for';

export interface PostgresHandle {
  /** postgres://postgres@127.0.0.1:PORT/silo */
  url: string;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL server binaries (postgresql package), newest version first. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(base, version, 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

/**
 * A throwaway PostgreSQL server on a free loopback port, data in a temp dir, trust auth, run as
 * the `postgres` system user when the test runs as root (the server refuses to run as root).
 */
export async function startPostgres(): Promise<PostgresHandle> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server not installed: apt-get install postgresql (the test setup in .ci/run does it)');
  const dir = await makeTempDir('silo-pg-');
  const data = join(dir.path, 'data');
  // The server refuses to run as root: as root, run it (directly, so signals reach it) as `postgres`.
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    user = {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
    chownSync(dir.path, user.uid, user.gid);
  }
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', ...user });
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir.path, '-c', 'fsync=off'];
  const child = track(spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...user }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const psql = join(bin, 'psql');
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
      try {
        execFileSync(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'CREATE DATABASE silo'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `postgres on port ${port}` },
  );
  return {
    url: `postgres://postgres@127.0.0.1:${port}/silo`,
    async stop() {
      await stopProcess(child, 10_000, 'SIGINT');
      await dir.cleanup();
    },
  };
}
