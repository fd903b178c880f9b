import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { BlobReader } from '../storage/blob-backend';
import { BufferPool } from '../storage/buffer-pool';
import { sendBlobRange } from './blob-sender';

function memoryReader(data: Buffer, reads: number[] = []): BlobReader {
  return {
    size: data.length,
    read: async (buffer, position) => {
      reads.push(position);
      return data.copy(buffer, 0, position, Math.min(data.length, position + buffer.length));
    },
    close: async () => undefined,
  };
}

function sink(): { out: Writable; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk)); // a copy: the sender reuses its buffers
      setImmediate(done);
    },
  });
  return { out, received: () => Buffer.concat(chunks) };
}

describe('sendBlobRange', () => {
  const pool = () => new BufferPool(1000, 4);

  it('sends the whole blob through two reused buffers', async () => {
    const data = randomBytes(10_500);
    const { out, received } = sink();
    const reads: number[] = [];
    let sent = 0;
    await sendBlobRange(memoryReader(data, reads), 0, data.length - 1, out, pool(), (n) => (sent += n));
    expect(received()).toEqual(data);
    expect(sent).toBe(data.length);
    expect(reads).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
  });

  it('sends a range, and nothing for an empty one', async () => {
    const data = randomBytes(5000);
    const { out, received } = sink();
    await sendBlobRange(memoryReader(data), 1234, 3210, out, pool());
    expect(received()).toEqual(data.subarray(1234, 3211));
    const empty = sink();
    await sendBlobRange(memoryReader(Buffer.alloc(0)), 0, -1, empty.out, pool());
    expect(empty.received().length).toBe(0);
  });

  it('fails when the blob ends early', async () => {
    const { out } = sink();
    await expect(sendBlobRange(memoryReader(randomBytes(100)), 0, 199, out, pool())).rejects.toThrow('ended at 100 bytes');
  });

  it('stops when the client goes away, even with a write that never completes', async () => {
    const stuck = new PassThrough({ highWaterMark: 1 });
    const pending = sendBlobRange(memoryReader(randomBytes(50_000)), 0, 49_999, stuck, pool());
    setTimeout(() => stuck.destroy(), 20);
    await expect(pending).rejects.toThrow();
  });
});
