/**
 * What a benchmark must undo, run once, last-added first, every step even when one fails: the
 * errors come back as `name: message` lines for the report.
 */
export class Cleanup {
  private readonly tasks: Array<{ name: string; run: () => Promise<unknown> | unknown }> = [];
  private done?: Promise<string[]>;
  /** Set on SIGINT/SIGTERM: children got the signal too (one process group), so ask them nothing. */
  interrupted = false;

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.tasks.unshift({ name, run });
  }

  run(): Promise<string[]> {
    this.done ??= (async () => {
      const errors: string[] = [];
      for (const task of this.tasks) {
        try {
          await task.run();
        } catch (err) {
          errors.push(`${task.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return errors;
    })();
    return this.done;
  }
}
