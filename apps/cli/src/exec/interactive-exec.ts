import { StringDecoder } from 'node:string_decoder';
import WebSocket from 'ws';
import { authorizationFor } from '../api-client/api-client';
import type { ApiTarget } from '../context/local-context';
import type { CliIo, Terminal } from '../output/io';

export interface InteractiveOptions {
  taskId: string;
  command: string[];
  tty: boolean;
  /** Forward stdin (-i). */
  stdin: boolean;
}

export function execSocketUrl(apiUrl: string, options: InteractiveOptions, size?: { cols: number; rows: number }): string {
  const url = new URL(`${apiUrl}/api/v1/tasks/${encodeURIComponent(options.taskId)}/exec/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const word of options.command) url.searchParams.append('command', word);
  if (options.tty) {
    url.searchParams.set('tty', '1');
    // a terminal that reports no size (0x0, e.g. under `script`) gets the server's default
    if (size && size.cols > 0 && size.rows > 0) {
      url.searchParams.set('cols', String(size.cols));
      url.searchParams.set('rows', String(size.rows));
    }
  }
  return url.toString();
}

/**
 * `silo exec -it`: the exec WebSocket (API.md, Exec). Binary frames both ways carry the streams,
 * text frames the control (resize, signal, eof, exit). The terminal goes raw while the session
 * lasts and is always restored. Resolves with the command's exit code.
 */
export function interactiveExec(io: CliIo, target: ApiTarget, options: InteractiveOptions): Promise<number> {
  const terminal: Terminal | undefined = io.terminal;
  const raw = options.tty && Boolean(terminal?.stdinIsTTY) && options.stdin;
  const authorization = authorizationFor(target);
  const socket = new WebSocket(execSocketUrl(target.apiUrl, options, options.tty ? terminal?.size() : undefined), {
    headers: authorization ? { authorization } : {},
  });
  const decoders = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
  const cleanups: Array<() => void> = [];
  let exitCode: number | undefined;
  let serverError: string | undefined;

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups.reverse()) cleanup();
      const tailOut = decoders.out.end();
      const tailErr = decoders.err.end();
      if (tailOut) io.out(tailOut);
      if (tailErr) io.err(tailErr);
      if (error) reject(error);
      else resolve(exitCode ?? 1);
    };

    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let message = body;
        try {
          const parsed = JSON.parse(body) as { code?: string; message?: string };
          message = `${parsed.code ?? ''} ${parsed.message ?? ''}`.trim();
        } catch {
          /* not JSON: the body as it is */
        }
        const expired = res.statusCode === 401 && message.includes('SESSION_EXPIRED') && target.context;
        finish(new Error(expired ? `your session for ${target.context} expired: run silo login` : `exec: ${res.statusCode} ${message}`));
      });
    });
    socket.on('error', (err) => finish(new Error(`exec: ${err.message}`)));

    socket.on('open', () => {
      if (raw) {
        terminal!.setRawMode(true);
        cleanups.push(() => terminal!.setRawMode(false));
      }
      if (options.stdin && terminal) {
        const onData = (chunk: Buffer | string) => socket.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { binary: true });
        const onEnd = () => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ eof: true }));
        terminal.stdin.on('data', onData);
        terminal.stdin.on('end', onEnd);
        terminal.stdin.resume();
        cleanups.push(() => {
          terminal.stdin.off('data', onData);
          terminal.stdin.off('end', onEnd);
          terminal.stdin.pause();
        });
      } else if (!options.stdin) {
        socket.send(JSON.stringify({ eof: true }));
      }
      if (options.tty && terminal) {
        cleanups.push(
          terminal.onSignal('SIGWINCH', () => {
            const size = terminal.size();
            if (size.cols > 0 && size.rows > 0) socket.send(JSON.stringify({ resize: size }));
          }),
        );
      }
      if (terminal) {
        // Killed while the terminal is raw: restore it on the way out (finish runs the cleanups).
        cleanups.push(
          terminal.onSignal('SIGTERM', () => {
            socket.terminate();
            finish(Object.assign(new Error('exec: terminated'), { exitCode: 143 }));
          }),
        );
      }
      if (terminal && !raw) {
        // Without a raw TTY, Ctrl-C reaches us as SIGINT: pass it to the command.
        cleanups.push(terminal.onSignal('SIGINT', () => socket.send(JSON.stringify({ signal: 'SIGINT' }))));
      }
    });

    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!isBinary) {
        try {
          const control = JSON.parse(buffer.toString('utf8')) as { exit?: number; error?: string | { code?: string; message?: string } };
          if (typeof control.exit === 'number') exitCode = control.exit;
          if (control.error) serverError = typeof control.error === 'string' ? control.error : `${control.error.code ?? ''} ${control.error.message ?? ''}`.trim();
        } catch {
          /* an unknown text frame: ignored */
        }
        return;
      }
      if (options.tty) io.out(decoders.out.write(buffer));
      else if (buffer[0] === 2) io.err(decoders.err.write(buffer.subarray(1)));
      else io.out(decoders.out.write(buffer.subarray(1)));
    });

    socket.on('close', (code, reason) => {
      if (serverError && exitCode === undefined) return finish(new Error(`exec: ${serverError}`));
      if (serverError) io.err(`silo: exec: ${serverError}\n`);
      if (exitCode === undefined && code !== 1000) {
        finish(new Error(`exec: the connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''}) before the command exited`));
        return;
      }
      finish();
    });
  });
}
