/**
 * Snapshots and images a pull is working on right now, before any record names them: the GC
 * leaves leased ones alone. In memory: after a restart no pull is running.
 */
export class SnapshotLeases {
  private readonly counts = new Map<string, number>();

  /** Leases the keys (chainIDs, manifest digests); the returned function releases them once. */
  acquire(keys: Iterable<string>): () => void {
    const held = [...keys];
    for (const k of held) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of held) {
        const n = (this.counts.get(k) ?? 1) - 1;
        if (n <= 0) this.counts.delete(k);
        else this.counts.set(k, n);
      }
    };
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  keys(): Set<string> {
    return new Set(this.counts.keys());
  }
}
