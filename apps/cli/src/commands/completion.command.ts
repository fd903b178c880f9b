import { Argument, Command } from 'commander';
import { bashCompletion, zshCompletion } from '../completion/completion-script';
import type { CliIo } from '../output/io';

/** `silo completion bash|zsh`: a completion script generated from the command tree. */
export function registerCompletionCommand(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(silo completion bash) — or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      io.out(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
