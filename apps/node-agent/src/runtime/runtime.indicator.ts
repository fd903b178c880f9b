import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NodeAgentConfig } from '../config/node-agent.config';

const run = promisify(execFile);

/** The native runtime (silo-runtime) is present and runs. */
@Injectable()
export class RuntimeIndicator {
  readonly name = 'runtime';

  constructor(private readonly config: NodeAgentConfig) {}

  async check(): Promise<string> {
    const binary = this.config.runtimeBinary;
    try {
      const { stdout } = await run(binary, ['--version'], { timeout: 1500 });
      return stdout.split('\n')[0]?.trim() || binary;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`${binary} not found (build it with npm run build)`);
      throw new Error(`${binary} --version failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
