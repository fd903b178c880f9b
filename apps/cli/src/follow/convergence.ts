import type { ServiceTask, ServiceView } from '@silo/contracts';
import type { ApiClient } from '../api-client/api-client';
import { enc } from '../commands/command-kit';
import { formatDurationMs } from '../service/durations';

export type Outcome = 'converged' | 'failed' | 'timeout' | 'interrupted';

export interface Snapshot {
  service: ServiceView;
  tasks: ServiceTask[];
}

export interface FollowResult {
  outcome: Outcome;
  reason?: string;
  snapshot?: Snapshot;
  /** Jobs: the exit code of the run that decided the outcome. */
  exitCode?: number;
}

export interface FollowOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** `jobs` for a job (its routes and its completion rule). */
  kind?: 'services' | 'jobs';
  onSnapshot(snapshot: Snapshot): void;
}

const ACTIVE = new Set(['pending', 'assigned', 'pulling', 'starting', 'running', 'stopping']);

/** The tasks that count now: the ones the scheduler wants running (or completed, for jobs). */
export function currentTasks(tasks: ServiceTask[]): ServiceTask[] {
  return tasks.filter((t) => t.desiredState !== 'shutdown' || ACTIVE.has(t.state)).sort((a, b) => a.slot - b.slot || a.version - b.version);
}

/** Decides whether a snapshot is done: converged, failed (with why), or still moving (undefined). */
export function judge(snapshot: Snapshot): FollowResult | undefined {
  const { service, tasks } = snapshot;
  if (service.mode === 'job') {
    const lastFailure = [...tasks].reverse().find((t) => t.state === 'failed' || t.state === 'oom-killed' || (t.state === 'exited' && t.exitCode !== 0));
    if (service.rollout === 'completed' && (service.completed ?? 0) >= service.desired) return { outcome: 'converged', snapshot, exitCode: 0 };
    if (service.rollout === 'paused' || service.rollout === 'rolled-back') {
      return { outcome: 'failed', snapshot, reason: service.rolloutMessage ?? `the job ${service.rollout}`, exitCode: lastFailure?.exitCode ?? 2 };
    }
    return undefined;
  }
  if (service.rollout === 'paused' || service.rollout === 'rolled-back') {
    return { outcome: 'failed', snapshot, reason: `rollout ${service.rollout}${service.rolloutMessage ? `: ${service.rolloutMessage}` : ''}` };
  }
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const settled = wanted.every((t) => t.version === service.version && t.state === 'running');
  if (service.rollout === 'completed' && service.running >= service.desired && settled) return { outcome: 'converged', snapshot };
  return undefined;
}

/** Why it is not done yet, in one line (for a timeout's message). */
export function stuckReason(snapshot: Snapshot | undefined): string {
  if (!snapshot) return 'no answer from the api';
  const pending = currentTasks(snapshot.tasks).find((t) => t.pendingMessage);
  if (pending) return `slot ${pending.slot} pending: ${pending.pendingMessage}`;
  const broken = currentTasks(snapshot.tasks).find((t) => t.reason && t.state !== 'running');
  if (broken) return `slot ${broken.slot} ${broken.state}: ${broken.reason}`;
  return `${snapshot.service.running}/${snapshot.service.desired} running, rollout ${snapshot.service.rollout}`;
}

/**
 * Follows a service (or job) until it converges, fails, the timeout passes or the signal aborts:
 * polls the service and its tasks, and hands every snapshot to the renderer.
 */
export async function followConvergence(client: ApiClient, name: string, options: FollowOptions): Promise<FollowResult> {
  const base = `/api/v1/${options.kind ?? 'services'}/${enc(name)}`;
  const deadline = Date.now() + options.timeoutMs;
  let last: Snapshot | undefined;
  while (!options.signal.aborted) {
    try {
      const [{ service }, { tasks }] = await Promise.all([
        client.get<{ service: ServiceView }>(base, { signal: options.signal }),
        client.get<{ tasks: ServiceTask[] }>(`${base}/tasks`, { signal: options.signal }),
      ]);
      last = { service, tasks };
      options.onSnapshot(last);
      const verdict = judge(last);
      if (verdict) return verdict;
    } catch (err) {
      if (options.signal.aborted) break;
      throw err;
    }
    if (Date.now() >= deadline) return { outcome: 'timeout', snapshot: last, reason: `not converged after ${formatDurationMs(options.timeoutMs)}: ${stuckReason(last)}` };
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - Date.now())), options.signal);
  }
  return { outcome: 'interrupted', snapshot: last };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
