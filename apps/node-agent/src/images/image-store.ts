import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from '../snapshots/chain-id';
import { Clock } from '../snapshots/clock';
import { writeJsonAtomic } from '../host/atomic-json';
import { ImageConfigSummary } from './image-config';

export interface ImageLayer {
  /** The blob's digest (compressed, as the manifest lists it). */
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
}

/** A pulled image: one per manifest digest, in `<agentHome>/images/records/<hex>.json`. */
export interface ImageRecord {
  manifestDigest: string;
  manifestMediaType: string;
  /** The index it was chosen from, when the reference named one. */
  indexDigest?: string;
  registry: string;
  repository: string;
  /** References that resolve to it: `host/repo:tag`, `host/repo@sha256:…` (manifest or index digest). */
  references: string[];
  configDigest: string;
  config: ImageConfigSummary;
  /** Base first. */
  layers: ImageLayer[];
  /** Sum of the layers' uncompressed content. */
  sizeBytes: number;
  pulledAt: string;
  lastUsedAt: string;
}

type ReferenceIndex = Record<string, string>;

/**
 * The local image store: records by manifest digest plus a reference index
 * (`references.json`: reference → manifest digest), each written to a temp file and renamed, so
 * a crash leaves the old or the new version, never half of one. Writers in this process are
 * serialized; the agent is the only process writing here.
 */
export class ImageStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** `<agentHome>/images`. */
    readonly root: string,
    private readonly clock = new Clock(),
  ) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'records'), { recursive: true });
  }

  /** The record a reference names (tag, manifest digest or index digest), if pulled. */
  async resolve(canonical: string): Promise<ImageRecord | undefined> {
    const digest = (await this.readIndex())[canonical];
    return digest ? this.get(digest) : undefined;
  }

  async get(manifestDigest: string): Promise<ImageRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.recordPath(manifestDigest), 'utf8')) as ImageRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(): Promise<ImageRecord[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'records'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: ImageRecord[] = [];
    for (const name of names) {
      const m = /^([a-f0-9]{64})\.json$/.exec(name);
      if (!m) continue;
      const record = await this.get(`sha256:${m[1]}`).catch(() => undefined);
      if (record) out.push(record);
    }
    return out;
  }

  /**
   * Stores a record and points `references` at it (moving them off any other record). The
   * references already on the stored record are kept.
   */
  put(record: ImageRecord, references: readonly string[]): Promise<ImageRecord> {
    return this.serialized(async () => {
      await this.init();
      const previous = await this.get(record.manifestDigest);
      const merged: ImageRecord = { ...record, references: [...new Set([...(previous?.references ?? []), ...record.references, ...references])].sort() };
      const index = await this.readIndex();
      for (const ref of merged.references) {
        const old = index[ref];
        if (old && old !== record.manifestDigest) {
          const other = await this.get(old);
          if (other) await writeJsonAtomic(this.recordPath(old), { ...other, references: other.references.filter((r) => r !== ref) });
        }
        index[ref] = record.manifestDigest;
      }
      await writeJsonAtomic(this.recordPath(record.manifestDigest), merged);
      await writeJsonAtomic(this.indexPath(), index);
      return merged;
    });
  }

  /** Marks an image as used now (a pull that found it cached, a container made from it). */
  touch(manifestDigest: string): Promise<void> {
    return this.serialized(async () => {
      const record = await this.get(manifestDigest);
      if (record) await writeJsonAtomic(this.recordPath(manifestDigest), { ...record, lastUsedAt: new Date(this.clock.now()).toISOString() });
    });
  }

  /** Deletes a record and every reference to it. Its snapshots are the GC's business. */
  remove(manifestDigest: string): Promise<void> {
    return this.serialized(async () => {
      const index = await this.readIndex();
      let changed = false;
      for (const [ref, digest] of Object.entries(index)) {
        if (digest === manifestDigest) {
          delete index[ref];
          changed = true;
        }
      }
      if (changed) await writeJsonAtomic(this.indexPath(), index);
      await rm(this.recordPath(manifestDigest), { force: true });
    });
  }

  private recordPath(manifestDigest: string): string {
    return join(this.root, 'records', `${digestHex(manifestDigest)}.json`);
  }

  private indexPath(): string {
    return join(this.root, 'references.json');
  }

  private async readIndex(): Promise<ReferenceIndex> {
    try {
      return JSON.parse(await readFile(this.indexPath(), 'utf8')) as ReferenceIndex;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
