import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** One cluster the CLI knows: where its api is and the session `silo login` got there. */
export interface SiloContext {
  apiUrl: string;
  registry?: string;
  username: string;
  token: string;
  expiresAt?: string;
}

export interface SiloConfig {
  current?: string;
  contexts: Record<string, SiloContext>;
}

/** `$SILO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/silo`, else `~/.config/silo`. */
export function configDir(env: Record<string, string | undefined>, cwd: string): string {
  if (env['SILO_CONFIG_DIR']) return resolve(cwd, env['SILO_CONFIG_DIR']);
  if (env['XDG_CONFIG_HOME']) return join(resolve(cwd, env['XDG_CONFIG_HOME']), 'silo');
  return join(env['HOME'] ?? homedir(), '.config', 'silo');
}

/**
 * The contexts file (`config.json`): readable by its owner only (0600 in a 0700 directory),
 * replaced atomically (write a temp file beside it, then rename) so a crash never leaves half a file.
 */
export class ContextStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'config.json');
  }

  load(): SiloConfig {
    if (!existsSync(this.file)) return { contexts: {} };
    let parsed: Partial<SiloConfig>;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<SiloConfig>;
    } catch (err) {
      throw new Error(`cannot read ${this.file}: ${err instanceof Error ? err.message : String(err)} (fix or remove it, then run silo login)`);
    }
    return { current: parsed.current, contexts: parsed.contexts ?? {} };
  }

  save(config: SiloConfig): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const temp = join(this.dir, `.config.json.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temp, this.file);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** Adds or replaces a context and makes it the current one. */
  put(name: string, context: SiloContext): void {
    const config = this.load();
    config.contexts[name] = context;
    config.current = name;
    this.save(config);
  }

  use(name: string): void {
    const config = this.load();
    if (!config.contexts[name]) throw new Error(`no context "${name}" (${knownNames(config)})`);
    config.current = name;
    this.save(config);
  }

  /** Removes a context; the current one moves to another context, if any. */
  remove(name: string): void {
    const config = this.load();
    if (!config.contexts[name]) throw new Error(`no context "${name}" (${knownNames(config)})`);
    delete config.contexts[name];
    if (config.current === name) config.current = Object.keys(config.contexts)[0];
    this.save(config);
  }
}

export function knownNames(config: SiloConfig): string {
  const names = Object.keys(config.contexts);
  return names.length ? `known: ${names.join(', ')}` : 'none yet: run silo login';
}

/** A context name from an api URL: its host (and port when not the default 7070). */
export function contextNameFor(apiUrl: string): string {
  try {
    const url = new URL(apiUrl);
    return url.port && url.port !== '7070' ? `${url.hostname}-${url.port}` : url.hostname;
  } catch {
    return 'default';
  }
}
