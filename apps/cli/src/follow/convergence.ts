import type { ServiceTask, ServiceView } from '@silo/contracts';
import type { ApiClient } from '../api-client/api-client';
import { enc } from '../commands/command-kit';
import { formatDurationMs } from '../service/durations';

export type Outcome = 'converged' | 'failed' | 'timeout' | 'interrupted';

/**
 * What the followed operation waits for: a rollout (create, update, run) fails when it pauses or
 * rolls back; a rollback's success is `rolled-back`; a scale does not care how the last rollout ended
 * (a service rolled back earlier stays `rolled-back`) unless it is paused.
 */
export type Goal = 'rollout' | 'rollback' | 'scale';

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
  goal?: Goal;
  onSnapshot(snapshot: Snapshot): void;
}

const ACTIVE = new Set(['pending', 'assigned', 'pulling', 'starting', 'running', 'stopping']);

/** The tasks that count now: the ones the scheduler wants running (or completed, for jobs). */
export function currentTasks(tasks: ServiceTask[]): ServiceTask[] {
  return tasks.filter((t) => t.desiredState !== 'shutdown' || ACTIVE.has(t.state)).sort((a, b) => a.slot - b.slot || a.version - b.version);
}

/** Decides whether a snapshot is done: converged, failed (with why), or still moving (undefined). */
export function judge(snapshot: Snapshot, goal: Goal = 'rollout'): FollowResult | undefined {
  const { service, tasks } = snapshot;
  if (service.mode === 'job') {
    const lastFailure = [...tasks].reverse().find((t) => t.state === 'failed' || t.state === 'oom-killed' || (t.state === 'exited' && t.exitCode !== 0));
    if (service.rollout === 'completed' && (service.completed ?? 0) >= service.desired) return { outcome: 'converged', snapshot, exitCode: 0 };
    if (service.rollout === 'paused' || service.rollout === 'rolled-back') {
      return { outcome: 'failed', snapshot, reason: service.rolloutMessage ?? `the job ${service.rollout}`, exitCode: service.lastExitCode ?? lastFailure?.exitCode ?? 2 };
    }
    return undefined;
  }
  const finished = goal === 'rollout' ? ['completed'] : ['completed', 'rolled-back'];
  if (service.rollout === 'paused' || (goal === 'rollout' && service.rollout === 'rolled-back')) {
    return { outcome: 'failed', snapshot, reason: `rollout ${service.rollout}${service.rolloutMessage ? `: ${service.rolloutMessage}` : ''}` };
  }
  // exactly the desired tasks, all of the current version and running
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const settled = wanted.length === service.desired && wanted.every((t) => t.version === service.version && t.state === 'running');
  // …and nothing else still running (replicas being stopped count in `running` until they are gone)
  if (finished.includes(service.rollout) && service.running === service.desired && settled) return { outcome: 'converged', snapshot };
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

const FAILED = new Set(['failed', 'oom-killed', 'rejected']);

/**
 * Replicas that keep failing: when no task of the current version runs and each wanted replica has
 * failed `perReplica` times (distinct tasks, seen across polls), waiting longer will not help — the
 * image is missing, the command crashes at once. The scheduler keeps retrying with backoff; the
 * CLI stops following and says why (exit 2), as `kubectl rollout status` does for a crash loop.
 */
export class CrashLoopDetector {
  private readonly failed = new Map<string, string>();

  constructor(private readonly perReplica = 3) {}

  observe(snapshot: Snapshot): FollowResult | undefined {
    const { service, tasks } = snapshot;
    if (service.mode === 'job' || service.desired === 0) return undefined;
    for (const t of tasks) {
      if (t.version === service.version && (FAILED.has(t.state) || (t.state === 'exited' && t.desiredState === 'running'))) {
        this.failed.set(t.taskId, t.reason ?? (t.exitCode !== undefined ? `exited with code ${t.exitCode}` : t.state));
      }
    }
    const running = tasks.some((t) => t.version === service.version && t.state === 'running');
    if (running || this.failed.size < this.perReplica * service.desired) return undefined;
    const reason = [...this.failed.values()].pop()!;
    return { outcome: 'failed', snapshot, reason: `replicas keep failing (${this.failed.size} failed tasks, none running): ${reason}` };
  }
}

/**
 * Follows a service (or job) until it converges, fails, the timeout passes or the signal aborts:
 * polls the service and its tasks, and hands every snapshot to the renderer.
 */
export async function followConvergence(client: ApiClient, name: string, options: FollowOptions): Promise<FollowResult> {
  const base = `/api/v1/${options.kind ?? 'services'}/${enc(name)}`;
  const deadline = Date.now() + options.timeoutMs;
  let last: Snapshot | undefined;
  const crashLoop = new CrashLoopDetector();
  while (!options.signal.aborted) {
    try {
      const [{ service }, { tasks }] = await Promise.all([
        client.get<{ service: ServiceView }>(base, { signal: options.signal }),
        client.get<{ tasks: ServiceTask[] }>(`${base}/tasks`, { signal: options.signal }),
      ]);
      last = { service, tasks };
      options.onSnapshot(last);
      const verdict = judge(last, options.goal) ?? crashLoop.observe(last);
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
