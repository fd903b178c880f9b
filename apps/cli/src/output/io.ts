/** Where the CLI writes and how it exits: a seam so commands are testable in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  exit: (code) => {
    process.exitCode = code;
  },
  env: process.env,
  cwd: process.cwd(),
};
