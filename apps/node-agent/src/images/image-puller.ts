import { SiloError } from '@silo/domain';
import { chainIds } from '../snapshots/chain-id';
import { Clock } from '../snapshots/clock';
import { DiffIdMismatch, LayerUnpackError, UnsupportedLayerFormat } from '../snapshots/errors/snapshot-errors';
import { SnapshotLeases } from '../snapshots/snapshot-leases';
import { SnapshotStore } from '../snapshots/snapshot-store';
import { ImageDigestMismatch, ImagePullError, ImageStorageFailed, InvalidImage, UnsupportedImage } from './errors/image-errors';
import { summarizeConfig } from './image-config';
import { ImageLayer, ImageRecord, ImageStore } from './image-store';
import { LayerDownloader } from './layer-downloader';
import { Descriptor, ImageConfig, ImageIndex, ImageManifest, isIndexMediaType, LAYER_MEDIA_TYPES, MediaTypes, Platform, ZSTD_LAYER_MEDIA_TYPES } from './oci-types';
import { formatPlatform, hostPlatform, selectManifest } from './platform';
import { PullPlan, PullPlanConfig, planPull } from './pull-plan';
import { RegistryCredentials } from './registry-auth';
import { FetchedManifest, RegistryClient, RepositoryTarget } from './registry-client';

export type PullPolicy = 'if-not-present' | 'always';

export interface PullProgress {
  reference: string;
  /** The layer's blob digest. */
  layer: string;
  phase: 'downloading' | 'unpacking' | 'done';
  /** Bytes of the blob downloaded or read so far. */
  bytes: number;
  /** The blob's size. */
  total: number;
}

export interface PullOptions {
  /** if-not-present (default): a cached reference resolves with no registry request. always: ask the registry. */
  policy?: PullPolicy;
  /** For this pull; otherwise the agent's default credentials. */
  credentials?: RegistryCredentials;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullResult {
  image: ImageRecord;
  /** The reference resolved from the local store without asking the registry. */
  cached: boolean;
  /** The canonical reference (`host/repo:tag` or `host/repo@digest`). */
  reference: string;
}

export interface ImagePullerConfig extends PullPlanConfig {
  /** Used when a pull brings none (the agent: the admin credentials file, read when needed). */
  defaultCredentials?: RegistryCredentials | (() => RegistryCredentials | undefined);
  /** The platform chosen from an index (default: this host's). */
  platform?: Platform;
  /** Layers downloaded at once per pull (default 3). */
  maxConcurrentDownloads?: number;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const CONFIG_MEDIA_TYPES = new Set<string>([MediaTypes.ociConfig, MediaTypes.dockerConfig]);

/**
 * Pulls images into the local store: reference → manifest (an index resolved to this host's
 * platform) → config → layers, each layer downloaded (verified), unpacked once into its chainID
 * snapshot and its blob dropped. The record is written last, so a reference resolves only to an
 * image whose every layer is present.
 */
export class ImagePuller {
  private readonly inflight = new Map<string, Promise<PullResult>>();
  private readonly platform: Platform;

  constructor(
    private readonly config: ImagePullerConfig,
    private readonly client: RegistryClient,
    private readonly store: ImageStore,
    private readonly snapshots: SnapshotStore,
    private readonly downloader: LayerDownloader,
    private readonly leases = new SnapshotLeases(),
    private readonly clock = new Clock(),
  ) {
    this.platform = config.platform ?? hostPlatform();
  }

  async pull(reference: string, options: PullOptions = {}): Promise<PullResult> {
    const plan = planPull(reference, this.config);
    if ((options.policy ?? 'if-not-present') === 'if-not-present') {
      const cached = await this.cached(plan.canonical);
      if (cached) return { image: cached, cached: true, reference: plan.canonical };
    }
    const key = `${plan.canonical}\n${options.credentials?.username ?? ''}`;
    let running = this.inflight.get(key);
    if (!running) {
      running = this.fetch(plan, options).finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return running;
  }

  /** The stored image a reference names, when every layer of it is unpacked (marked used). */
  async cached(canonical: string): Promise<ImageRecord | undefined> {
    const record = await this.store.resolve(canonical);
    if (!record || !(await this.complete(record))) return undefined;
    await this.store.touch(record.manifestDigest);
    return (await this.store.get(record.manifestDigest)) ?? record;
  }

  private async complete(record: ImageRecord): Promise<boolean> {
    for (const layer of record.layers) if (!(await this.snapshots.has(layer.chainId))) return false;
    return true;
  }

  private credentials(options: PullOptions): RegistryCredentials | undefined {
    if (options.credentials) return options.credentials;
    const fallback = this.config.defaultCredentials;
    return typeof fallback === 'function' ? fallback() : fallback;
  }

  private async fetch(plan: PullPlan, options: PullOptions): Promise<PullResult> {
    const target: RepositoryTarget = { registry: plan.registry, repository: plan.repository, credentials: this.credentials(options) };
    const name = `${plan.registry.host}/${plan.repository}`;
    const top = await this.client.getManifest(target, plan.digest ?? plan.tag!);
    let fetched: FetchedManifest = top;
    let indexDigest: string | undefined;
    if (isIndexMediaType(top.mediaType)) {
      const index = parseJson<ImageIndex>(top.bytes, `index ${plan.canonical}`);
      if (!Array.isArray(index.manifests)) throw new InvalidImage(`index ${plan.canonical} has no manifests list`);
      const chosen = selectManifest(index.manifests, this.platform);
      indexDigest = top.digest;
      const known = await this.store.get(chosen.digest);
      if ((options.policy ?? 'if-not-present') === 'if-not-present' && known && (await this.complete(known))) {
        return this.remember(known, plan, indexDigest);
      }
      fetched = await this.client.getManifest(target, chosen.digest);
      if (isIndexMediaType(fetched.mediaType)) throw new UnsupportedImage(`index ${plan.canonical} points at another index for ${formatPlatform(this.platform)}`);
    }
    const manifest = parseJson<ImageManifest>(fetched.bytes, `manifest ${name}@${fetched.digest}`);
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new InvalidImage(`manifest ${name}@${fetched.digest} lacks config or layers`);
    if (manifest.config.mediaType && !CONFIG_MEDIA_TYPES.has(manifest.config.mediaType)) {
      throw new UnsupportedImage(`${plan.canonical} is not a container image (config media type ${manifest.config.mediaType})`);
    }
    for (const layer of manifest.layers) checkLayerType(layer);
    const configBytes = await this.client.getBlobBytes(target, manifest.config.digest, MAX_CONFIG_BYTES);
    const summary = summarizeConfig(parseJson<ImageConfig>(configBytes, `config ${manifest.config.digest}`));
    if (summary.diffIds.length !== manifest.layers.length) {
      throw new InvalidImage(`the config of ${plan.canonical} lists ${summary.diffIds.length} diffIDs for ${manifest.layers.length} layers`);
    }
    const chain = chainIds(summary.diffIds);
    const layers: ImageLayer[] = manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: summary.diffIds[i]!, chainId: chain[i]! }));
    const release = this.leases.acquire([...chain, fetched.digest]);
    try {
      let contentBytes = 0;
      await forEachLimited(layers, this.config.maxConcurrentDownloads ?? 3, async (layer, i) => {
        const bytes = await this.ensureLayer(target, plan.canonical, layer, chain[i - 1], options.onProgress);
        contentBytes += bytes;
      });
      const now = new Date(this.clock.now()).toISOString();
      const record: ImageRecord = {
        manifestDigest: fetched.digest,
        manifestMediaType: fetched.mediaType,
        ...(indexDigest ? { indexDigest } : {}),
        registry: plan.registry.host,
        repository: plan.repository,
        references: [],
        configDigest: manifest.config.digest,
        config: summary,
        layers,
        sizeBytes: contentBytes,
        pulledAt: now,
        lastUsedAt: now,
      };
      return await this.remember(record, plan, indexDigest);
    } finally {
      release();
    }
  }

  private async remember(record: ImageRecord, plan: PullPlan, indexDigest: string | undefined): Promise<PullResult> {
    const name = `${plan.registry.host}/${plan.repository}`;
    const refs = [plan.canonical, `${name}@${record.manifestDigest}`, ...(indexDigest ? [`${name}@${indexDigest}`] : [])];
    const now = new Date(this.clock.now()).toISOString();
    try {
      const image = await this.store.put({ ...record, lastUsedAt: now }, refs);
      return { image, cached: false, reference: plan.canonical };
    } catch (err) {
      throw wrapLocal(err, `storing the record of ${plan.canonical}`);
    }
  }

  /** Makes sure one layer's snapshot exists; returns its content bytes. */
  private async ensureLayer(target: RepositoryTarget, reference: string, layer: ImageLayer, parent: string | undefined, onProgress?: (p: PullProgress) => void): Promise<number> {
    const report = throttled(reference, layer, onProgress);
    try {
      let downloaded = false;
      const info = await this.snapshots.ensure(
        { chainId: layer.chainId, diffId: layer.diffId, ...(parent ? { parent } : {}) },
        async () => {
          report('downloading', 0);
          const path = await this.downloader.download(target, layer, (bytes) => report('downloading', bytes));
          downloaded = true;
          report('unpacking', 0);
          return path;
        },
        { onProgress: (bytes) => report('unpacking', bytes) },
      );
      if (downloaded) await this.downloader.discard(layer.digest);
      report('done', layer.size);
      return info.contentBytes;
    } catch (err) {
      // A blob that does not unpack to its diffID is bad content: do not keep it for a retry.
      if (err instanceof DiffIdMismatch || err instanceof LayerUnpackError) await this.downloader.discard(layer.digest).catch(() => undefined);
      if (err instanceof DiffIdMismatch) throw new ImageDigestMismatch(`layer ${layer.digest} (uncompressed)`, layer.diffId, String((err.details as { actual?: string } | undefined)?.actual));
      if (err instanceof UnsupportedLayerFormat) throw new UnsupportedImage(err.message, { layer: layer.digest });
      if (err instanceof LayerUnpackError) throw new InvalidImage(`layer ${layer.digest}: ${err.message}`, { layer: layer.digest });
      throw wrapLocal(err, `layer ${layer.digest}`);
    }
  }
}

function checkLayerType(layer: Descriptor): void {
  if (ZSTD_LAYER_MEDIA_TYPES.has(layer.mediaType)) {
    throw new UnsupportedImage(`layer ${layer.digest} is zstd-compressed, which this node agent cannot unpack (Node 20 has no zstd): push gzip or uncompressed layers`);
  }
  if (!LAYER_MEDIA_TYPES.has(layer.mediaType)) throw new UnsupportedImage(`layer ${layer.digest} has media type "${layer.mediaType}", not a tar layer`);
  if (!/^sha256:[a-f0-9]{64}$/.test(layer.digest)) throw new UnsupportedImage(`layer digest "${layer.digest}" is not sha256`);
  if (!Number.isSafeInteger(layer.size) || layer.size < 0) throw new InvalidImage(`layer ${layer.digest} has an invalid size`);
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new InvalidImage(`${what} is not valid JSON`);
  }
}

function wrapLocal(err: unknown, what: string): Error {
  if (err instanceof ImagePullError) return err;
  if (err instanceof SiloError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new ImageStorageFailed(`${what}: ${err instanceof Error ? err.message : String(err)}`, code ? { errno: code } : undefined);
}

/** Progress for one layer: phase changes and the end always, byte counts at most every 2% / 256 KiB. */
function throttled(reference: string, layer: ImageLayer, onProgress?: (p: PullProgress) => void): (phase: PullProgress['phase'], bytes: number) => void {
  let lastPhase: string | undefined;
  let lastBytes = 0;
  const step = Math.max(256 * 1024, Math.floor(layer.size / 50));
  return (phase, bytes) => {
    if (!onProgress) return;
    if (phase === lastPhase && bytes - lastBytes < step && bytes !== layer.size) return;
    lastPhase = phase;
    lastBytes = bytes;
    onProgress({ reference, layer: layer.digest, phase, bytes, total: layer.size });
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}
