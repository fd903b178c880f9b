import { Command } from 'commander';
import { registerAgentCommand } from './commands/agent.command';
import { registerNodeJoinTokenCommand } from './commands/node-join-token.command';
import { registerRegistryCommand } from './commands/registry.command';
import { registerStatusCommand } from './commands/status.command';
import { CliIo, processIo } from './output/io';


/** The `silo` command: `silo <noun> <verb>` in the docker/kubectl habit. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('silo')
    .description('Silo: a container platform — registry, scheduler and node agents')
    .version(versionFromPackage(), '-v, --version')
    .option('--home <dir>', 'SILO_HOME of a local platform (default: $SILO_HOME, ./.silo, /var/lib/silo)')
    .option('--api <url>', 'api URL (default: from the credentials in SILO_HOME, or $SILO_API_URL)')
    .showHelpAfterError('(run silo --help for usage)')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride((err) => {
      // commander's own exits (help, version, usage errors) keep their code: 0 for help, 1 for usage.
      throw Object.assign(new Error(err.message), { exitCode: err.exitCode, commander: true });
    });
  registerStatusCommand(program, io);
  registerRegistryCommand(program, io);
  registerNodeJoinTokenCommand(program, io);
  registerAgentCommand(program, io);
  return program;
}

function versionFromPackage(): string {
  try {
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
