import type { Writable } from 'node:stream';
import { BlobReader } from '../storage/blob-backend';
import { BufferPool } from '../storage/buffer-pool';

/** Read size for blob downloads. */
export const SEND_CHUNK_BYTES = 1024 * 1024;

/**
 * Sends bytes `start`…`end` (inclusive) of `reader` to `out` through two pooled buffers: one is
 * being read into while the other is being written; a buffer is read into again only after the
 * write that carried it completed (its callback), so nothing allocates per chunk. Resolves when the
 * last write completed; rejects when a read fails, the file ends early, or `out` fails or closes
 * (a buffer whose write never completed is not given back to the pool).
 */
export async function sendBlobRange(
  reader: BlobReader,
  start: number,
  end: number,
  out: Writable,
  pool: BufferPool,
  onSent: (bytes: number) => void = () => undefined,
): Promise<void> {
  const slots: Array<{ buffer: Buffer; write?: Promise<void> }> = [{ buffer: pool.take() }, { buffer: pool.take() }];
  let closed: Error | undefined;
  let onClose!: () => void;
  // A write to a connection that closed may never call back: waits race the close.
  const whenClosed = new Promise<never>((_resolve, reject) => {
    onClose = () => reject((closed ??= new Error('the client went away')));
  });
  whenClosed.catch(() => undefined);
  out.once('close', onClose);
  const completed = (write: Promise<void>) => Promise.race([write, whenClosed]);
  try {
    let position = start;
    for (let i = 0; position <= end; i++) {
      const slot = slots[i % 2]!;
      if (slot.write) await completed(slot.write);
      slot.write = undefined;
      if (closed) throw closed;
      const wanted = Math.min(slot.buffer.length, end - position + 1);
      const read = await reader.read(slot.buffer.subarray(0, wanted), position);
      if (read === 0) throw new Error(`the blob ended at ${position} bytes, before ${end + 1}`);
      position += read;
      const chunk = slot.buffer.subarray(0, read);
      slot.write = new Promise<void>((resolve, reject) => {
        out.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
      slot.write.catch(() => undefined); // awaited below, or abandoned with the response
      onSent(read);
    }
    for (const slot of slots) if (slot.write) await completed(slot.write);
    for (const slot of slots) pool.give(slot.buffer);
  } finally {
    out.off('close', onClose);
  }
}
