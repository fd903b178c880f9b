import { Command } from 'commander';
import { interactiveExec } from '../exec/interactive-exec';
import { resolveTaskId } from '../exec/task-ref';
import type { CliIo } from '../output/io';
import { parseKeyValue } from '../service/spec-flags';
import { afterDashDash, clientFor, collect, enc, runAction } from './command-kit';

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  timeout?: string;
}

/**
 * `silo exec [-i] [-t] TASK -- CMD…`: runs a command in a task's container and exits with its
 * exit code. Without -i/-t one request (output printed at the end); with them, a WebSocket session.
 */
export function registerExecCommand(program: Command, io: CliIo): void {
  program
    .command('exec')
    .description('run a command in a running task (TASK: a task id, or SERVICE.SLOT such as web.1)')
    .argument('<task>')
    .argument('<command...>')
    .option('-i, --interactive', 'keep stdin open and send it to the command')
    .option('-t, --tty', 'allocate a terminal')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable; not with -i/-t)', collect)
    .option('-u, --user <user>', 'user[:group] (not with -i/-t)')
    .option('-w, --workdir <dir>', 'working directory (not with -i/-t)')
    .option('--timeout <seconds>', 'kill the command after this long (not with -i/-t)')
    .passThroughOptions()
    .action(async (taskRef: string, words: string[], flags: ExecFlags, cmd: Command) =>
      runAction(io, async () => {
        const command = afterDashDash(words);
        if (command.length === 0) throw new Error('give the command to run: silo exec TASK -- CMD [ARGS...]');
        const client = clientFor(cmd, io, 0);
        const taskId = await resolveTaskId(client, taskRef);
        if (flags.interactive || flags.tty) {
          if (flags.env?.length || flags.user || flags.workdir || flags.timeout) throw new Error('-e, -u, -w and --timeout are not available with -i/-t');
          return interactiveExec(io, client.target, { taskId, command, tty: Boolean(flags.tty), stdin: Boolean(flags.interactive) });
        }
        const body = {
          command,
          ...(flags.env?.length ? { env: Object.fromEntries(flags.env.map((e) => parseKeyValue(e, '--env'))) } : {}),
          ...(flags.user ? { user: flags.user } : {}),
          ...(flags.workdir ? { workingDir: flags.workdir } : {}),
          ...(flags.timeout ? { timeoutMs: Number(flags.timeout) * 1000 } : {}),
        };
        const reply = await client.send<{ exitCode: number; stdout: string; stderr: string; timedOut?: boolean }>('POST', `/api/v1/tasks/${enc(taskId)}/exec`, body, 0);
        if (reply.stdout) io.out(reply.stdout);
        if (reply.stderr) io.err(reply.stderr);
        if (reply.timedOut) io.err(`silo: exec: the command timed out\n`);
        return reply.exitCode;
      }),
    );
}
