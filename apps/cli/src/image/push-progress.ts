import { MultiBar, Presets } from 'cli-progress';
import type { CliIo } from '../output/io';
import { formatBytes } from '../output/render';
import type { BlobSource } from './image-source';
import type { PushReporter } from './registry-pusher';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** One cli-progress bar per blob on a terminal. */
export function barReporter(stream: NodeJS.WritableStream): PushReporter {
  const bars = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream & { isTTY?: boolean },
      format: ' {label} {digest} [{bar}] {percentage}% | {done}/{total_h} {status}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  return {
    blob(blob: BlobSource) {
      const bar = bars.create(Math.max(blob.size, 1), 0, { label: blob.label.padEnd(11), digest: short(blob.digest), done: '0B', total_h: formatBytes(blob.size), status: '' });
      return {
        progress: (bytes) => bar.update(bytes, { done: formatBytes(bytes) }),
        done: (result) => bar.update(Math.max(blob.size, 1), { done: formatBytes(blob.size), status: result === 'exists' ? 'exists' : 'pushed' }),
      };
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}

/** Plain lines (pipes, CI logs): one when a blob starts uploading and one when it is done. */
export function lineReporter(io: CliIo): PushReporter {
  return {
    blob(blob: BlobSource) {
      return {
        progress: () => {},
        done: (result) => io.err(`${blob.label} ${short(blob.digest)}: ${result === 'exists' ? 'already in the registry' : `pushed ${formatBytes(blob.size)}`}\n`),
      };
    },
    log: (line) => io.err(`${line}\n`),
    stop: () => {},
  };
}
