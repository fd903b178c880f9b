import { PassThrough, Readable } from 'node:stream';
import { consumeChunks } from './consume-chunks';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consumeChunks', () => {
  it('hands every chunk over in order and resolves at the end', async () => {
    const seen: string[] = [];
    await consumeChunks(Readable.from([Buffer.from('a'), 'b', Buffer.from('c')]), (chunk) => void seen.push(chunk.toString()));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('pauses the source while a take is pending, and resolves only after the last one settled', async () => {
    const source = new PassThrough();
    const seen: string[] = [];
    let release!: () => void;
    let lastDone = false;
    const done = consumeChunks(source, (chunk) => {
      seen.push(chunk.toString());
      if (chunk.toString() === 'slow') return new Promise<void>((resolve) => (release = resolve));
      if (chunk.toString() === 'last') return tick().then(() => void (lastDone = true));
      return undefined;
    });
    source.write('slow');
    await tick();
    source.write('next');
    await tick();
    expect(seen).toEqual(['slow']);
    expect(source.isPaused()).toBe(true);
    release();
    await tick();
    expect(seen).toEqual(['slow', 'next']);
    source.end('last');
    await done;
    expect(lastDone).toBe(true);
  });

  it('rejects with the source error, after a pending take settled', async () => {
    const source = new PassThrough();
    let settledTake = false;
    const done = consumeChunks(source, () => tick(20).then(() => void (settledTake = true)));
    source.write('x');
    await tick();
    source.destroy(new Error('client went away'));
    await expect(done).rejects.toThrow('client went away');
    expect(settledTake).toBe(true);
  });

  it('rejects when the source closes before its end', async () => {
    const source = new PassThrough();
    const done = consumeChunks(source, () => undefined);
    source.write('x');
    source.destroy();
    await expect(done).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it("rejects with take's error and drains the rest of the source", async () => {
    const source = new PassThrough();
    const seen: string[] = [];
    const done = consumeChunks(source, (chunk) => {
      seen.push(chunk.toString());
      if (chunk.toString() === 'bad') return Promise.reject(new Error('disk full'));
      return undefined;
    });
    source.write('ok');
    source.write('bad');
    await expect(done).rejects.toThrow('disk full');
    source.end('more');
    await tick();
    expect(seen).toEqual(['ok', 'bad']);
    expect(source.readableEnded).toBe(true);
  });
});
