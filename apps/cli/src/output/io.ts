/** Where the CLI writes and how it exits: a seam so commands are testable in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The terminal, when there is one (absent in tests and pipes unless a test provides one). */
  terminal?: Terminal;
}

/** The interactive parts of the process: TTY detection, stdin, signals, raw mode, size. */
export interface Terminal {
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
  stdin: NodeJS.ReadableStream;
  /** Writable stream for progress bars (cli-progress writes to it directly). */
  stderrStream: NodeJS.WritableStream;
  /** Subscribes to a signal; returns the unsubscribe function. */
  onSignal(signal: 'SIGINT' | 'SIGWINCH' | 'SIGTERM', handler: () => void): () => void;
  setRawMode(raw: boolean): void;
  size(): { cols: number; rows: number };
  /** Reads one line without echo (a password prompt). */
  readSecret(prompt: string): Promise<string>;
}

export const processTerminal: Terminal = {
  get stdoutIsTTY() {
    return Boolean(process.stdout.isTTY);
  },
  get stdinIsTTY() {
    return Boolean(process.stdin.isTTY);
  },
  stdin: process.stdin,
  stderrStream: process.stderr,
  onSignal(signal, handler) {
    process.on(signal, handler);
    return () => void process.off(signal, handler);
  },
  setRawMode(raw) {
    if (process.stdin.isTTY) process.stdin.setRawMode(raw);
  },
  size: () => ({ cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 }),
  readSecret(prompt) {
    return new Promise((resolve, reject) => {
      const stdin = process.stdin;
      process.stderr.write(prompt);
      let value = '';
      const raw = stdin.isTTY;
      if (raw) stdin.setRawMode(true);
      stdin.resume();
      const finish = (error?: Error) => {
        stdin.off('data', onData);
        if (raw) stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write('\n');
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0004') return finish();
          if (char === '\u0003') return finish(Object.assign(new Error('interrupted'), { exitCode: 130 }));
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      stdin.on('data', onData);
    });
  },
};

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  exit: (code) => {
    process.exitCode = code;
  },
  env: process.env,
  cwd: process.cwd(),
  terminal: processTerminal,
};

/** Reads a whole stream (stdin for --password-stdin). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}
