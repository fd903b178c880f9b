import { createHash } from 'node:crypto';

export interface CachedCredential {
  /** The account the credential verified as. */
  account: string;
  /** The account's secret hash when it verified: a changed secret invalidates the entry. */
  secretHash: string;
}

interface Entry extends CachedCredential {
  expiresAtMs: number;
}

export interface CredentialCacheOptions {
  ttlMs: number;
  /** Oldest entries are dropped beyond this. */
  maxEntries?: number;
  /** Monotonic milliseconds. */
  nowMs: () => number;
}

/**
 * Remembers successful Basic verifications for a short while, keyed by the sha256 of the header
 * (never the secret itself). Entries go at once when their account changes; a verification that
 * was in flight while its account changed is not remembered (per-account generations).
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byAccount = new Map<string, Set<string>>();
  private readonly generations = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(private readonly options: CredentialCacheOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  static key(authorization: string): string {
    return createHash('sha256').update(authorization).digest('hex');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedCredential | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.options.nowMs()) {
      this.remove(key, entry.account);
      return undefined;
    }
    return { account: entry.account, secretHash: entry.secretHash };
  }

  /** Taken before a slow verification; `set` refuses the result if the account changed meanwhile. */
  generation(account: string): number {
    return this.generations.get(account) ?? 0;
  }

  set(key: string, credential: CachedCredential, generation: number): void {
    if (this.options.ttlMs <= 0 || generation !== this.generation(credential.account)) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous.account);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next().value as [string, Entry] | undefined;
      if (!oldest) break;
      this.remove(oldest[0], oldest[1].account);
    }
    this.entries.set(key, { ...credential, expiresAtMs: this.options.nowMs() + this.options.ttlMs });
    let keys = this.byAccount.get(credential.account);
    if (!keys) this.byAccount.set(credential.account, (keys = new Set()));
    keys.add(key);
  }

  /** The account changed (deleted, role, membership, secret): drop everything cached for it. */
  forget(account: string): void {
    this.generations.set(account, this.generation(account) + 1);
    for (const key of this.byAccount.get(account) ?? []) this.entries.delete(key);
    this.byAccount.delete(account);
  }

  clear(): void {
    for (const account of [...this.byAccount.keys()]) this.forget(account);
  }

  private remove(key: string, account: string): void {
    this.entries.delete(key);
    const keys = this.byAccount.get(account);
    keys?.delete(key);
    if (keys?.size === 0) this.byAccount.delete(account);
  }
}
