/**
 * Reusable buffers of one size, for blob bytes on their way to or from disk. Every byte a service
 * allocates in fresh Buffers counts as external memory, and V8 answers each few tens of MB of it
 * with a full garbage collection of the whole heap (measured: one every ~100 ms while a 150 MB
 * blob streamed, ~20 ms each). Reusing a few buffers keeps that from happening on our side.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Only a buffer nothing refers to any more (a write that completed) may come back. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}
