import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopProcess, track } from '../child-processes';
import { findExecutable } from '../find-executable';
import { makeTempDir } from '../temp-dir';

export interface SkopeoOptions {
  /** Kill skopeo after this long (default 120 s). */
  timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
}

export interface SkopeoResult {
  code: number;
  stdout: string;
  /** stdout as bytes (`inspect --raw` prints the manifest exactly as the registry served it). */
  stdoutBytes: Buffer;
  stderr: string;
}

export class SkopeoError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | string,
    readonly stderr: string,
  ) {
    super(`skopeo ${args.join(' ')} failed (${code}): ${stderr.trim() || '(no stderr)'}`);
    this.name = 'SkopeoError';
  }
}

const TRANSPORTS = ['docker', 'oci', 'oci-archive', 'dir', 'docker-archive', 'docker-daemon', 'containers-storage', 'tarball', 'sif', 'ostree'];

let unsharePath: string | undefined | null;

/**
 * As root, containers/image keeps a blob-info cache in /var/lib/containers/cache, shared by every
 * run: stale entries (a blob "known" at 127.0.0.1:PORT/repo of an earlier registry on the same
 * port) would make skopeo's behaviour depend on history. In a user namespace of its own (unmapped,
 * so skopeo sees uid 65534 while the kernel still checks files as us) it keeps that cache in the
 * sandbox's XDG_DATA_HOME instead. Falls back to a plain run where user namespaces are not allowed.
 */
function userNamespaceRunner(): string | undefined {
  if (unsharePath === undefined) {
    const unshare = process.getuid?.() === 0 ? findExecutable('unshare') : undefined;
    unsharePath = unshare && spawnSync(unshare, ['-U', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0 ? unshare : null;
  }
  return unsharePath ?? undefined;
}

function skopeoBinary(): string {
  const binary = findExecutable('skopeo');
  if (!binary) throw new Error('skopeo is not installed: apt-get install skopeo');
  return binary;
}

/** `host/repo:tag` → `docker://host/repo:tag`; a reference that names its transport is kept. */
export function withTransport(ref: string): string {
  const colon = ref.indexOf(':');
  const transport = colon > 0 ? ref.slice(0, colon) : '';
  if (TRANSPORTS.includes(transport) && !/^\d/.test(ref.slice(colon + 1))) return ref;
  return `docker://${ref}`;
}

function dockerHost(ref: string): string | undefined {
  if (!ref.startsWith('docker://')) return undefined;
  return ref.slice('docker://'.length).split('/')[0];
}

/** True for `docker://` references to localhost, 127.x or [::1]: the harness's registries speak plain HTTP. */
export function isLoopbackRef(ref: string): boolean {
  const host = dockerHost(ref);
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name ?? '');
}

function tlsVerify(ref: string, explicit: boolean | undefined): boolean {
  return explicit ?? !isLoopbackRef(ref);
}

/**
 * Runs skopeo with `--insecure-policy`, in a sandbox of its own: HOME, XDG dirs, TMPDIR,
 * DOCKER_CONFIG, REGISTRY_AUTH_FILE (an empty auth file) and the registries.conf all point into a
 * temp dir removed afterwards, so the user's real credentials and configuration are never read or
 * written. Credentials go in as flags (`--creds`, `--src-creds`, `--dest-creds`).
 */
export async function skopeo(args: string[], options: SkopeoOptions = {}): Promise<SkopeoResult> {
  const binary = skopeoBinary();
  const sandbox = await makeTempDir('silo-skopeo-');
  try {
    const home = join(sandbox.path, 'home');
    const runtime = join(sandbox.path, 'run');
    const tmp = join(sandbox.path, 'tmp');
    for (const d of [home, runtime, tmp, join(home, '.config'), join(home, '.local', 'share'), join(home, '.docker')]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
    }
    const authFile = join(sandbox.path, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: {} }), { mode: 0o600 });
    const registriesConf = join(sandbox.path, 'registries.conf');
    await writeFile(registriesConf, 'unqualified-search-registries = []\n');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      DOCKER_CONFIG: join(home, '.docker'),
      REGISTRY_AUTH_FILE: authFile,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      TMPDIR: tmp,
      LANG: 'C',
    };
    const fullArgs = args.includes('--insecure-policy') || args.includes('--policy') ? args : ['--insecure-policy', ...args];
    const timeoutMs = options.timeoutMs ?? 120_000;
    const unshare = userNamespaceRunner();
    const [command, commandArgs] = unshare ? [unshare, ['-U', '--', binary, ...fullArgs]] : [binary, fullArgs];
    const child = track(spawn(command, commandArgs, { env, cwd: sandbox.path, stdio: ['ignore', 'pipe', 'pipe'] }));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopProcess(child, 1000);
    }, timeoutMs);
    const code = await new Promise<number | string>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, signal) => resolve(c ?? signal ?? -1));
    }).finally(() => clearTimeout(timer));
    const stdoutBytes = Buffer.concat(out);
    const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `\n(killed after ${timeoutMs} ms)` : '');
    if ((code !== 0 || timedOut) && !options.allowFailure) throw new SkopeoError(fullArgs, code, stderr);
    return { code: typeof code === 'number' ? code : -1, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr };
  } finally {
    await sandbox.cleanup();
  }
}

export interface SkopeoCopyOptions extends SkopeoOptions {
  /** `user:pass` for whichever side(s) is a registry. */
  creds?: string;
  srcCreds?: string;
  destCreds?: string;
  /** Default 'all': copy every image of an index (skopeo's own default is this host's only). */
  multiArch?: 'system' | 'all' | 'index-only';
  /** Fail rather than change a digest (e.g. by converting media types). */
  preserveDigests?: boolean;
  /** Convert the manifest (default: keep the source's type). */
  format?: 'oci' | 'v2s2';
  /** TLS verification (default: off for loopback registries, on otherwise). */
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  /** Anything else, placed before SOURCE. */
  extraArgs?: string[];
}

/**
 * `skopeo copy SRC DEST` (references with a transport, e.g. `oci:DIR:TAG`,
 * `docker://127.0.0.1:5000/repo:tag`; a bare `host/repo:tag` means docker://).
 * Resolves with the digest of the manifest written at the destination.
 */
export async function skopeoCopy(src: string, dest: string, options: SkopeoCopyOptions = {}): Promise<SkopeoResult & { digest: string }> {
  const source = withTransport(src);
  const destination = withTransport(dest);
  const digestDir = await makeTempDir('silo-skopeo-digest-');
  try {
    const digestFile = join(digestDir.path, 'digest');
    const args = ['copy', '--quiet', '--digestfile', digestFile, '--multi-arch', options.multiArch ?? 'all'];
    if (source.startsWith('docker://')) {
      args.push(`--src-tls-verify=${tlsVerify(source, options.srcTlsVerify)}`);
      const creds = options.srcCreds ?? options.creds;
      if (creds) args.push('--src-creds', creds);
    }
    if (destination.startsWith('docker://')) {
      args.push(`--dest-tls-verify=${tlsVerify(destination, options.destTlsVerify)}`);
      const creds = options.destCreds ?? options.creds;
      if (creds) args.push('--dest-creds', creds);
    }
    if (options.preserveDigests) args.push('--preserve-digests');
    if (options.format) args.push('--format', options.format);
    args.push(...(options.extraArgs ?? []), source, destination);
    const result = await skopeo(args, options);
    const digest = result.code === 0 ? (await readFile(digestFile, 'utf8').catch(() => '')).trim() : '';
    return { ...result, digest };
  } finally {
    await digestDir.cleanup();
  }
}

export interface SkopeoRefOptions extends SkopeoOptions {
  creds?: string;
  /** TLS verification (default: off for loopback registries, on otherwise). */
  tlsVerify?: boolean;
}

export interface SkopeoInspectOptions extends SkopeoRefOptions {
  /** Choose this platform's image from an index (skopeo's --override-os/-arch/-variant). */
  os?: string;
  architecture?: string;
  variant?: string;
}

/** What `skopeo inspect` (without --raw) prints. */
export interface SkopeoImageInfo {
  Name: string;
  Digest: string;
  RepoTags: string[];
  Created?: string;
  DockerVersion?: string;
  Labels: Record<string, string> | null;
  Architecture: string;
  Os: string;
  Variant?: string;
  Layers: string[];
  LayersData?: Array<{ MIMEType: string; Digest: string; Size: number; Annotations: Record<string, string> | null }>;
  Env: string[] | null;
}

/** `skopeo inspect --raw`: the manifest bytes exactly as served, parsed, and their digest. */
export interface SkopeoRawManifest {
  raw: Buffer;
  json: { mediaType?: string; schemaVersion?: number; [key: string]: unknown };
  digest: string;
}

function refArgs(ref: string, options: SkopeoRefOptions): string[] {
  const args: string[] = [];
  if (ref.startsWith('docker://')) args.push(`--tls-verify=${tlsVerify(ref, options.tlsVerify)}`);
  if (options.creds) args.push('--creds', options.creds);
  return args;
}

function platformArgs(options: SkopeoInspectOptions): string[] {
  const args: string[] = [];
  if (options.os) args.push('--override-os', options.os);
  if (options.architecture) args.push('--override-arch', options.architecture);
  if (options.variant) args.push('--override-variant', options.variant);
  return args;
}

/** `skopeo inspect REF`: the image (of this host's platform, or the one asked for, when REF names an index). */
export async function skopeoInspect(ref: string, options?: SkopeoInspectOptions & { raw?: false; config?: false }): Promise<SkopeoImageInfo>;
/** `skopeo inspect --raw REF`: the manifest (or index) exactly as served. */
export async function skopeoInspect(ref: string, options: SkopeoInspectOptions & { raw: true }): Promise<SkopeoRawManifest>;
/** `skopeo inspect --config --raw REF`: the image config blob. */
export async function skopeoInspect(ref: string, options: SkopeoInspectOptions & { config: true }): Promise<SkopeoRawManifest>;
export async function skopeoInspect(
  ref: string,
  options: SkopeoInspectOptions & { raw?: boolean; config?: boolean } = {},
): Promise<SkopeoImageInfo | SkopeoRawManifest> {
  const target = withTransport(ref);
  const args = [...platformArgs(options), 'inspect', ...refArgs(target, options)];
  if (options.config) args.push('--config', '--raw');
  else if (options.raw) args.push('--raw');
  else args.push('--no-tags');
  args.push(target);
  const result = await skopeo(args, options);
  if (options.raw || options.config) {
    const raw = result.stdoutBytes;
    return { raw, json: JSON.parse(raw.toString('utf8')) as SkopeoRawManifest['json'], digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
  }
  return JSON.parse(result.stdout) as SkopeoImageInfo;
}

/** `skopeo list-tags docker://HOST/REPO`: the repository's tags. */
export async function skopeoListTags(repository: string, options: SkopeoRefOptions = {}): Promise<string[]> {
  const target = withTransport(repository);
  const result = await skopeo(['list-tags', ...refArgs(target, options), target], options);
  const parsed = JSON.parse(result.stdout) as { Repository: string; Tags: string[] | null };
  return parsed.Tags ?? [];
}

/** `skopeo delete docker://HOST/REPO:TAG` (the registry deletes the manifest the tag names, by digest). */
export async function skopeoDelete(ref: string, options: SkopeoRefOptions = {}): Promise<void> {
  const target = withTransport(ref);
  await skopeo(['delete', ...refArgs(target, options), target], options);
}
