import { ChildProcess } from 'node:child_process';

/**
 * Every process a test started, so that a failing test still ends them: stop() in afterAll is the
 * normal path, and this list is the safety net when the test process exits without it.
 */
const started = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal name). */
export function stopProcess(child: ChildProcess, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode ?? 0);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve(code ?? sig ?? 0);
    });
    child.kill(signal);
  });
}

process.once('exit', () => {
  for (const child of started) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
