import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestHex } from '../snapshots/chain-id';
import { ImageDigestMismatch, ImagePullError, RegistryUnreachable } from './errors/image-errors';
import { describe } from './registry-auth';
import { RegistryClient, RepositoryTarget } from './registry-client';

export interface LayerBlob {
  digest: string;
  size: number;
}

/**
 * Downloads layer blobs to `<images>/blobs/sha256/<hex>`: streamed to a `.partial-*` file while
 * hashing, renamed into place only when the size and sha256 match, so a blob under its digest's
 * name is always the verified one and nothing half-written is visible. One download per digest
 * however many pulls want it; a dropped connection is retried once.
 */
export class LayerDownloader {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    /** `<agentHome>/images/blobs`. */
    private readonly dir: string,
    private readonly client: RegistryClient,
    /** A download that receives nothing for this long is abandoned (and retried once). */
    private readonly idleTimeoutMs = 60_000,
  ) {}

  /** Removes partial downloads an interrupted agent left. */
  async init(): Promise<void> {
    await mkdir(join(this.dir, 'sha256'), { recursive: true });
    for (const name of await readdir(this.dir)) if (name.startsWith('.partial-')) await rm(join(this.dir, name), { force: true });
  }

  pathOf(digest: string): string {
    return join(this.dir, 'sha256', digestHex(digest));
  }

  async download(target: RepositoryTarget, layer: LayerBlob, onBytes?: (bytes: number) => void): Promise<string> {
    const final = this.pathOf(layer.digest);
    const existing = await stat(final).catch(() => undefined);
    if (existing?.size === layer.size) return final;
    let running = this.inflight.get(layer.digest);
    if (!running) {
      running = this.fetchWithRetry(target, layer, final, onBytes).finally(() => this.inflight.delete(layer.digest));
      this.inflight.set(layer.digest, running);
    }
    return running;
  }

  /** Deletes a blob once its layer is unpacked (the snapshot is what stays). */
  async discard(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  private async fetchWithRetry(target: RepositoryTarget, layer: LayerBlob, final: string, onBytes?: (bytes: number) => void): Promise<string> {
    try {
      return await this.fetchOnce(target, layer, final, onBytes);
    } catch (err) {
      if (!(err instanceof RegistryUnreachable)) throw err;
      return this.fetchOnce(target, layer, final, onBytes);
    }
  }

  private async fetchOnce(target: RepositoryTarget, layer: LayerBlob, final: string, onBytes?: (bytes: number) => void): Promise<string> {
    await mkdir(join(this.dir, 'sha256'), { recursive: true });
    const tmp = join(this.dir, `.partial-${randomUUID()}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const verify = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (bytes > layer.size) {
          cb(new ImageDigestMismatch(`layer ${layer.digest}`, `${layer.size} bytes`, `more than ${layer.size} bytes`));
          return;
        }
        hash.update(chunk);
        onBytes?.(bytes);
        cb(null, chunk);
      },
    });
    try {
      const { body } = await this.client.openBlob(target, layer.digest);
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => body.destroy(new Error(`no data for ${this.idleTimeoutMs} ms`)), this.idleTimeoutMs);
      };
      body.on('data', arm);
      arm();
      try {
        await pipeline(body, verify, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      } catch (err) {
        if (err instanceof ImagePullError) throw err;
        throw new RegistryUnreachable(`downloading layer ${layer.digest} from ${target.registry.host} failed: ${describe(err)}`);
      } finally {
        clearTimeout(idle);
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (bytes !== layer.size) throw new ImageDigestMismatch(`layer ${layer.digest}`, `${layer.size} bytes`, `${bytes} bytes`);
      if (actual !== layer.digest) throw new ImageDigestMismatch(`layer ${layer.digest}`, layer.digest, actual);
      await rename(tmp, final);
      return final;
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
