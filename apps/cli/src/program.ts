import { Command, Option } from 'commander';
import { registerAccountCommands } from './commands/account.command';
import { registerAgentCommand } from './commands/agent.command';
import { registerCompletionCommand } from './commands/completion.command';
import { registerEventsCommand } from './commands/events.command';
import { registerExecCommand } from './commands/exec.command';
import { registerImageCommand } from './commands/image.command';
import { registerJobCommand } from './commands/job.command';
import { registerLoginCommands } from './commands/login.command';
import { registerNodeCommand } from './commands/node.command';
import { registerNodeJoinTokenCommand } from './commands/node-join-token.command';
import { registerRegistryCommand } from './commands/registry.command';
import { registerRunCommand } from './commands/run.command';
import { registerServiceCommand } from './commands/service.command';
import { registerStatusCommand } from './commands/status.command';
import { registerTopCommand } from './commands/top.command';
import { CliIo, processIo } from './output/io';

const GLOBAL_OPTIONS = (): Option[] => [
  new Option('--context <name>', 'the context (cluster) to use (default: $SILO_CONTEXT, else the current one; see silo context ls)'),
  new Option('--home <dir>', 'SILO_HOME of a local platform (default: $SILO_HOME, ./.silo, /var/lib/silo)'),
  new Option('--api <url>', 'api URL (default: the context\'s, or from the credentials in SILO_HOME, or $SILO_API_URL)'),
];

/** The `silo` command: `silo <noun> <verb>` in the docker/kubectl habit. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('silo')
    .description('Silo: a container platform — registry, scheduler and node agents')
    .version(versionFromPackage(), '-v, --version')
    .showHelpAfterError('(run silo --help for usage)')
    .showSuggestionAfterError(true)
    // Options after IMAGE belong to the container (docker's habit): `silo run alpine sh -c …`.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride((err) => {
      // commander's own exits (help, version, usage errors) keep their code: 0 for help, 1 for usage.
      throw Object.assign(new Error(err.message), { exitCode: err.exitCode, commander: true });
    });
  for (const option of GLOBAL_OPTIONS()) program.addOption(option);
  registerLoginCommands(program, io);
  registerStatusCommand(program, io);
  registerNodeCommand(program, io);
  registerNodeJoinTokenCommand(program, io);
  registerServiceCommand(program, io);
  registerRunCommand(program, io);
  registerJobCommand(program, io);
  registerExecCommand(program, io);
  registerImageCommand(program, io);
  registerRegistryCommand(program, io);
  registerAccountCommands(program, io);
  registerEventsCommand(program, io);
  registerTopCommand(program, io);
  registerAgentCommand(program, io);
  registerCompletionCommand(program, io);
  finishTree(program);
  return program;
}

/**
 * With positional options the global flags would only count before the verb; every verb also
 * accepts them (hidden in its help), so `silo service ls --context prod` works as in kubectl.
 * Groups get positional options too (commander needs it for the pass-through verbs under them).
 */
function finishTree(command: Command): void {
  for (const sub of command.commands) {
    if (sub.commands.length > 0) {
      sub.enablePositionalOptions();
      finishTree(sub);
    } else {
      for (const option of GLOBAL_OPTIONS()) {
        if (!sub.options.some((o) => o.long === option.long)) sub.addOption(option.hideHelp());
      }
    }
  }
}

function versionFromPackage(): string {
  try {
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
