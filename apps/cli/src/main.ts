import { buildProgram } from './program';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const failure = err as { commander?: boolean; exitCode?: number; message?: string };
    // commander has already printed usage errors (with suggestions), help and the version.
    if (!failure.commander) process.stderr.write(`silo: ${failure.message ?? String(err)}\n`);
    process.exitCode = failure.exitCode ?? 1;
  });
