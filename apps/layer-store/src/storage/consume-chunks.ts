import { Readable } from 'node:stream';
import { finished } from 'node:stream';

/**
 * Feeds `source`'s chunks to `take`, in order, through 'data' events: a `for await` loop over an
 * HTTP request costs a promise round per chunk, a measurable share of the CPU of a large upload.
 * While a promise `take` returned is pending, the source is paused (backpressure).
 *
 * Resolves once the source ended and every `take` settled. Rejects with the source's error (or
 * ERR_STREAM_PREMATURE_CLOSE when it closed before its end) or `take`'s, but only after a pending
 * `take` settled, so the caller never races it. After a `take` failure the rest of the source is
 * drained, not read.
 */
export function consumeChunks(source: Readable, take: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let pending: Promise<void> | undefined;
    let ended = false;
    let settled = false;
    const stop = (): void => {
      settled = true;
      source.off('data', onData);
      stopWatching();
    };
    const fail = (err: unknown, drain: boolean): void => {
      if (settled) return;
      stop();
      if (drain) source.resume();
      const rejectWith = () => reject(err);
      if (pending) pending.then(rejectWith, rejectWith);
      else rejectWith();
    };
    const finish = (): void => {
      if (settled || pending) return;
      stop();
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      if (settled) return;
      let result: Promise<void> | void;
      try {
        result = take(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      } catch (err) {
        fail(err, true);
        return;
      }
      if (!result) return;
      source.pause();
      const current = result.then(
        () => {
          pending = undefined;
          if (settled) return;
          if (ended) finish();
          else source.resume();
        },
        (err: unknown) => {
          pending = undefined;
          fail(err, true);
        },
      );
      pending = current;
    };
    const stopWatching = finished(source, (err) => {
      if (err) {
        fail(err, false);
      } else {
        ended = true;
        finish();
      }
    });
    source.on('data', onData);
  });
}
