import { Injectable } from '@nestjs/common';

/** `command`: a write someone waits for (a create's reply); `background`: write-behind batches. */
export type WritePriority = 'command' | 'background';

interface Job {
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * The scheduler's database writes, one at a time: SQLite has one connection, and two
 * transactions on it at once fail ("cannot start a transaction within a transaction"). Commands
 * go before background writes still waiting, so a create waits for at most the one write that is
 * running, never for the task batches queued behind it.
 */
@Injectable()
export class WriteQueue {
  private readonly lanes: Record<WritePriority, Job[]> = { command: [], background: [] };
  private running = false;

  run<T>(work: () => Promise<T>, priority: WritePriority = 'command'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.lanes[priority].push({ work, resolve: resolve as (value: unknown) => void, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.next(); job; job = this.next()) {
        try {
          job.resolve(await job.work());
        } catch (err) {
          job.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private next(): Job | undefined {
    return this.lanes.command.shift() ?? this.lanes.background.shift();
  }
}
