import type { ApiClient } from '../api-client/api-client';
import type { CliIo } from '../output/io';
import { followConvergence, Goal, Outcome } from './convergence';
import { ProgressView } from './progress-view';

export interface FollowRequest {
  name: string;
  timeoutMs: number;
  kind?: 'services' | 'jobs';
  goal?: Goal;
  /** What to call the operation in messages (`rollout`, `scale`, `job`). */
  what?: string;
}

export const EXIT_NOT_CONVERGED = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * Follows an operation to its end with live progress and maps the outcome to the exit code:
 * 0 converged, 2 failed to converge (with the reason), 130 on Ctrl-C (the operation keeps running).
 * Jobs exit with their run's exit code.
 */
export async function followToExitCode(io: CliIo, client: ApiClient, request: FollowRequest): Promise<{ code: number; outcome: Outcome }> {
  const controller = new AbortController();
  const off = io.terminal?.onSignal('SIGINT', () => controller.abort()) ?? (() => {});
  const view = new ProgressView(io, Boolean(io.terminal?.stdoutIsTTY));
  const pollMs = Number(io.env['SILO_POLL_MS'] ?? 1000);
  try {
    const result = await followConvergence(client, request.name, {
      timeoutMs: request.timeoutMs,
      pollMs,
      signal: controller.signal,
      kind: request.kind,
      goal: request.goal,
      onSnapshot: (s) => view.render(s),
    });
    const ps = `silo ${request.kind === 'jobs' ? 'job' : 'service'} ps ${request.name}`;
    switch (result.outcome) {
      case 'converged':
        io.err(request.kind === 'jobs' ? `${request.name}: completed\n` : `${request.name}: converged\n`);
        return { code: result.exitCode ?? 0, outcome: result.outcome };
      case 'failed':
        io.err(`silo: ${request.name} failed to converge: ${result.reason}\n`);
        return { code: request.kind === 'jobs' ? (result.exitCode ?? EXIT_NOT_CONVERGED) : EXIT_NOT_CONVERGED, outcome: result.outcome };
      case 'timeout':
        io.err(`silo: ${request.name}: ${result.reason} (it keeps trying; see ${ps})\n`);
        return { code: EXIT_NOT_CONVERGED, outcome: result.outcome };
      case 'interrupted':
        io.err(`\nthe operation keeps running in the cluster; follow it with ${ps}\n`);
        return { code: EXIT_INTERRUPTED, outcome: result.outcome };
    }
  } finally {
    off();
  }
}
