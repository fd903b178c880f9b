import type { ServiceTask } from '@silo/contracts';
import type { CliIo } from '../output/io';
import { currentTasks, Snapshot } from './convergence';

/** "web: 4/6 running (version 3, updating)". */
export function summaryLine(snapshot: Snapshot): string {
  const { service } = snapshot;
  if (service.mode === 'job') return `${service.name}: ${service.completed ?? 0}/${service.desired} completed, ${service.running} running (version ${service.version}, ${service.rollout})`;
  const note = service.rolloutMessage ? `: ${service.rolloutMessage}` : '';
  return `${service.name}: ${service.running}/${service.desired} running (version ${service.version}, ${service.rollout}${note})`;
}

export function taskLine(task: ServiceTask, currentVersion: number): string {
  const node = task.nodeId ?? '-';
  const state = task.health && task.state === 'running' ? `${task.state} (${task.health})` : task.state;
  const old = task.version !== currentVersion ? ` [v${task.version}]` : '';
  const why = task.pendingMessage ? ` — ${task.pendingMessage}` : task.reason && task.state !== 'running' ? ` — ${task.reason}` : '';
  const exit = task.exitCode !== undefined && task.state !== 'running' ? ` exit ${task.exitCode}` : '';
  return `  ${String(task.slot).padStart(3)}  ${node.padEnd(16)} ${state}${exit}${old}${why}`;
}

export function blockFor(snapshot: Snapshot): string[] {
  return [summaryLine(snapshot), ...currentTasks(snapshot.tasks).map((t) => taskLine(t, snapshot.service.version))];
}

/**
 * Renders follow progress: on a TTY a live block redrawn in place (cursor up, clear to end); in a
 * pipe one line per change, so logs stay readable.
 */
export class ProgressView {
  private drawn = 0;
  private lastPlain = new Map<string, string>();

  constructor(
    private readonly io: CliIo,
    private readonly live: boolean,
  ) {}

  render(snapshot: Snapshot): void {
    const lines = blockFor(snapshot);
    if (this.live) {
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : '';
      this.io.err(`${up}${lines.join('\n')}\n`);
      this.drawn = lines.length;
      return;
    }
    const keyed: Array<[string, string]> = [['service', lines[0]!], ...currentTasks(snapshot.tasks).map((t, i) => [t.taskId, lines[i + 1]!.trim()] as [string, string])];
    for (const [key, line] of keyed) {
      if (this.lastPlain.get(key) === line) continue;
      this.lastPlain.set(key, line);
      this.io.err(`${key === 'service' ? line : `  ${line}`}\n`);
    }
  }
}
