import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../host/atomic-json';

export const ID_RANGE_SIZE = 65_536;

/**
 * Hardened containers each get a host uid/gid range of their own (container 0..65535 → host
 * base + slot × 65536 …): a process that escapes one container is nobody in any other, and owns
 * no file on the host. Slots are persisted, so a restarted agent never hands one out twice.
 */
export class IdRangeAllocator {
  private slots: Record<string, number>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly base: number,
    private readonly maxSlots = 1024,
  ) {
    try {
      this.slots = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch {
      this.slots = {};
    }
  }

  acquire(taskId: string): Promise<number> {
    return this.serialize(async () => {
      let slot = this.slots[taskId];
      if (slot === undefined) {
        const used = new Set(Object.values(this.slots));
        slot = 0;
        while (used.has(slot)) slot += 1;
        if (slot >= this.maxSlots) throw new Error(`no free user-namespace range (${this.maxSlots} in use)`);
        this.slots[taskId] = slot;
        await writeJsonAtomic(this.file, this.slots);
      }
      return this.base + slot * ID_RANGE_SIZE;
    });
  }

  release(taskId: string): Promise<void> {
    return this.serialize(async () => {
      if (this.slots[taskId] === undefined) return;
      delete this.slots[taskId];
      await writeJsonAtomic(this.file, this.slots);
    });
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
