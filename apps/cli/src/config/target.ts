import { resolveApiTarget } from '../context/local-context';
import type { ApiTarget } from '../context/local-context';
import type { CliIo } from '../output/io';
import { configDir, ContextStore, knownNames } from './context-store';

export interface GlobalOptions {
  home?: string;
  api?: string;
  context?: string;
}

/**
 * Where a command talks to: the `--context` (or $SILO_CONTEXT, or the current) context from the
 * config directory with its session token; without any context, the local platform's generated
 * admin credentials (SILO_HOME), so `npm start` + `silo …` works without logging in.
 */
export function resolveTarget(globals: GlobalOptions, io: CliIo): ApiTarget {
  const store = new ContextStore(configDir(io.env, io.cwd));
  const config = store.load();
  const wanted = globals.context ?? io.env['SILO_CONTEXT'];
  if (wanted && !config.contexts[wanted]) throw new Error(`no context "${wanted}" in ${store.file} (${knownNames(config)})`);
  const name = wanted ?? (globals.home ? undefined : config.current);
  const context = name ? config.contexts[name] : undefined;
  if (name && context) {
    return {
      apiUrl: (globals.api ?? context.apiUrl).replace(/\/+$/, ''),
      token: context.token,
      username: context.username,
      registry: context.registry,
      context: name,
      source: `context ${name}`,
    };
  }
  return resolveApiTarget(globals, io.env, io.cwd);
}
