import { SignatureScope } from '@silo/domain';

/**
 * The path a signature covers: the request target up to `?`, exactly as the client sent it
 * (percent-encoding included) — the same string the router matches.
 */
export function signedPath(originalUrl: string): string {
  const end = originalUrl.indexOf('?');
  return end === -1 ? originalUrl : originalUrl.slice(0, end);
}

/** `read` to GET or HEAD a blob; `write` for everything else (uploads). */
export function requiredScope(method: string, path: string): SignatureScope {
  return (method === 'GET' || method === 'HEAD') && path.startsWith('/blobs/') ? 'read' : 'write';
}

/** `expires` and `sig` from the query string (first occurrence of each). */
export function signatureParams(originalUrl: string): { expires?: string; sig?: string } {
  const end = originalUrl.indexOf('?');
  if (end === -1) return {};
  const params = new URLSearchParams(originalUrl.slice(end + 1));
  return { expires: params.get('expires') ?? undefined, sig: params.get('sig') ?? undefined };
}
