/** Runs async tasks one at a time, in call order; a failed task does not block the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One SerialQueue per key (container id): operations on one key in order, different keys in parallel. */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get size(): number {
    return this.tails.size;
  }
}

/**
 * Coalesces requests for an idempotent job (rewrite a chain from current state): a request made while
 * a run is in progress is served by the next run, and every request made while that next run waits
 * shares it. Each caller resolves once a run that started after its request has finished.
 */
export class Coalescer {
  private requested = 0;
  private completed = 0;
  private running?: { promise: Promise<void>; covers: number };

  /** `job` must read the state it writes before its first `await`. */
  constructor(private readonly job: () => Promise<void>) {}

  async request(): Promise<void> {
    const ticket = ++this.requested;
    for (;;) {
      if (this.completed >= ticket) return;
      if (this.running) {
        const { promise, covers } = this.running;
        if (covers >= ticket) return promise; // the run that serves this request: its error is ours
        await promise.catch(() => undefined); // an older run: wait, then start (or join) a newer one
        continue;
      }
      const covers = this.requested;
      const promise = this.job()
        .then(() => {
          this.completed = Math.max(this.completed, covers);
        })
        .finally(() => {
          this.running = undefined;
        });
      this.running = { promise, covers };
    }
  }
}
