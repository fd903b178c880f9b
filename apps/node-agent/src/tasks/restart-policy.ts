import type { RestartPolicySpec } from '@silo/contracts';

export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
/** A container that ran this long resets the backoff (Docker's rule). */
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** Whether a container that ended with EXITCODE is started again, after `restarts` restarts so far. */
export function shouldRestart(policy: RestartPolicySpec | undefined, exitCode: number | undefined, restarts: number): boolean {
  const name = policy?.name ?? 'no';
  if (name === 'always') return true;
  if (name === 'on-failure') {
    if (exitCode === 0) return false;
    const max = policy?.maxRetries ?? 0;
    return max === 0 || restarts < max;
  }
  return false;
}

/** Exponential backoff: 100 ms, 200 ms, 400 ms, … capped at 10 s. */
export function restartDelay(consecutiveFailures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, consecutiveFailures));
}
