import { isDigest, isRepositoryName, isTag, SiloError } from '@silo/domain';

/** One OCI Distribution endpoint, parsed from the path under `/v2`. Pure: no I/O. */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string; isDigest: boolean }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string };

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload-start', name: m[1]! })],
  [/^\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]!, isDigest: m[2]!.includes(':') })],
  [/^\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
];

/**
 * Parses `rawPath` (the request path after `/v2`, not percent-decoded). Names, tags, digests and
 * upload ids are checked against their grammars here, so nothing unchecked reaches storage.
 * Returns undefined for paths that are no endpoint (404).
 */
export function parseRoute(rawPath: string): Route | undefined {
  if (rawPath === '' || rawPath === '/') return { kind: 'base' };
  if (rawPath === '/_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(rawPath);
    if (!match) continue;
    const route = build(match);
    validate(route);
    return route;
  }
  return undefined;
}

function validate(route: Route): void {
  if (!('name' in route)) return;
  if (!isRepositoryName(route.name)) throw new SiloError('NAME_INVALID', `invalid repository name "${truncate(route.name)}"`);
  switch (route.kind) {
    case 'manifest':
      if (route.isDigest ? !isDigest(route.reference) : !isTag(route.reference)) {
        throw new SiloError(route.isDigest ? 'DIGEST_INVALID' : 'MANIFEST_INVALID', `invalid reference "${truncate(route.reference)}"`);
      }
      return;
    case 'blob':
    case 'referrers':
      if (!isDigest(route.digest)) throw new SiloError('DIGEST_INVALID', `invalid digest "${truncate(route.digest)}"`);
      return;
    case 'upload':
      if (!UPLOAD_ID.test(route.id)) throw new SiloError('BLOB_UPLOAD_UNKNOWN', 'unknown upload');
      return;
    default:
      return;
  }
}

const truncate = (text: string) => (text.length > 80 ? `${text.slice(0, 80)}…` : text);
