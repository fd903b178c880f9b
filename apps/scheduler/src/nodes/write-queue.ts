import { Injectable } from '@nestjs/common';

/**
 * The scheduler's database writes, one at a time: SQLite has one connection, and two
 * transactions on it at once fail ("cannot start a transaction within a transaction").
 */
@Injectable()
export class WriteQueue {
  private queue: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
