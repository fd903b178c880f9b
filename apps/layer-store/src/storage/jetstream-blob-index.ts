import { isDigest } from '@silo/domain';
import type { BlobInfo, BlobPage } from './blob-backend';

/** One object's latest meta, as the index keeps it. */
interface IndexEntry {
  /** Stream sequence of the meta message (a newer one replaces it). */
  seq: number;
  nuid: string;
  size: number;
  committedAt: Date;
  deleted: boolean;
  /** When a deleted entry was deleted (ms), for the orphan sweep's grace period. */
  deletedAt?: number;
  /** Named by a digest (only those are listed; other objects only protect their chunks). */
  listed: boolean;
}

/** The part of an object-store meta (ADR-20 ObjectInfo) the index reads. */
export interface IndexedMeta {
  name: string;
  nuid: string;
  size: number;
  mtime: string;
  deleted?: boolean;
  metadata?: Record<string, string>;
}

export const COMMITTED_AT = 'silo-committed-at';
export const DELETED_AT = 'silo-deleted-at';

export function committedAtOf(meta: Pick<IndexedMeta, 'mtime' | 'metadata'>): Date {
  return new Date(meta.metadata?.[COMMITTED_AT] ?? meta.mtime);
}

/** First index in `sorted` whose value is > `value` (or >= with `inclusive`). */
function bound(sorted: readonly string[], value: string, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value || (!inclusive && sorted[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The bucket's blobs in lexical digest order, rebuilt from the meta subjects of the object store
 * and caught up before each use (JetStream has no ordered range scan). Entries are applied by the
 * stream sequence of their meta message, so a late or repeated message never undoes a newer one.
 */
export class BlobIndex {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly sorted: string[] = [];
  private totalBytes = 0;
  /** Highest meta sequence read by a catch-up (set by the caller): the next one starts after it. */
  lastSeq = 0;
  /** Whether a full load (last meta per object) has completed. */
  loaded = false;

  apply(seq: number, meta: IndexedMeta): void {
    if (typeof meta?.name !== 'string' || !Number.isSafeInteger(seq)) return;
    const previous = this.entries.get(meta.name);
    if (previous && previous.seq >= seq) return;
    if (previous && !previous.deleted) this.unlist(meta.name, previous);
    const deleted = meta.deleted === true;
    const entry: IndexEntry = {
      seq,
      nuid: String(meta.nuid),
      size: deleted ? 0 : Number(meta.size) || 0,
      committedAt: committedAtOf(meta),
      deleted,
      deletedAt: deleted ? Date.parse(meta.metadata?.[DELETED_AT] ?? meta.mtime) : undefined,
      listed: isDigest(meta.name),
    };
    this.entries.set(meta.name, entry);
    if (!deleted) {
      this.totalBytes += entry.size;
      if (entry.listed) this.sorted.splice(bound(this.sorted, meta.name, true), 0, meta.name);
    }
  }

  /** Live blobs strictly after `after`, at most `limit`. */
  page(after: string | undefined, limit: number): BlobPage {
    const from = after === undefined ? 0 : bound(this.sorted, after, false);
    const names = this.sorted.slice(from, from + limit);
    const blobs: BlobInfo[] = names.map((digest) => {
      const entry = this.entries.get(digest)!;
      return { digest, size: entry.size, committedAt: entry.committedAt };
    });
    return from + limit < this.sorted.length ? { blobs, next: names[names.length - 1]! } : { blobs };
  }

  get blobs(): number {
    return this.sorted.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Chunk nuids that must stay: those of live objects (listed or not), and those of objects
   * deleted after `deletedSince` (their chunks are purged after a grace period, so that reads
   * already open finish).
   */
  protectedNuids(deletedSince: number): Set<string> {
    const nuids = new Set<string>();
    for (const entry of this.entries.values()) {
      if (!entry.deleted || (entry.deletedAt ?? 0) >= deletedSince) nuids.add(entry.nuid);
    }
    return nuids;
  }

  private unlist(name: string, entry: IndexEntry): void {
    this.totalBytes -= entry.size;
    if (!entry.listed) return;
    const at = bound(this.sorted, name, true);
    if (this.sorted[at] === name) this.sorted.splice(at, 1);
  }
}
