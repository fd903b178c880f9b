import { Command } from 'commander';
import { ApiClient } from '../api-client/api-client';
import { GlobalOptions, resolveTarget } from '../config/target';
import type { CliIo } from '../output/io';

/** The api client of a command's target (`--context`, the current context, or the local platform). */
export function clientFor(command: Command, io: CliIo, timeoutMs?: number): ApiClient {
  return new ApiClient(resolveTarget(command.optsWithGlobals<GlobalOptions>(), io), timeoutMs);
}

/**
 * Runs a command's body: errors become `silo: message` on stderr and exit code 1 (or the error's
 * own `exitCode`); a returned number is the exit code.
 */
export async function runAction(io: CliIo, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') io.exit(code);
  } catch (err) {
    const failure = err as { message?: string; exitCode?: number };
    io.err(`silo: ${failure.message ?? String(err)}\n`);
    io.exit(typeof failure.exitCode === 'number' ? failure.exitCode : 1);
  }
}

/** A subcommand group (`silo node`), created once even when several files add verbs to it. */
export function group(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) {
    if (!existing.description()) existing.description(description);
    return existing;
  }
  return program.command(name).description(description);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** A repository name in a path: its `/` kept (the api's routes take `images/*name`), each part encoded. */
export function encPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** With pass-through options, a `--` after the first argument arrives as an argument: drop it. */
export function afterDashDash(args: string[]): string[] {
  return args[0] === '--' ? args.slice(1) : args;
}
