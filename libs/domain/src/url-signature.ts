import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring requests to the layer store's data plane, so the registry can redirect a client
 * there (307) without the store knowing users, and so nothing else can read or write blobs.
 * The signature covers the scope (`read` for GET/HEAD of a blob, `write` for uploads and deletes),
 * the path and the expiry: `hex(HMAC-SHA256(secret, scope + "\n" + path + "\n" + expires))`.
 */
export type SignatureScope = 'read' | 'write';

export interface SignedQuery {
  expires: number;
  sig: string;
}

export function signPath(secret: Uint8Array, scope: SignatureScope, path: string, expires: number): string {
  return createHmac('sha256', secret).update(`${scope}\n${path}\n${expires}`).digest('hex');
}

/** Query string (`expires=…&sig=…`) for `path`, valid for `ttlSeconds` from `nowSeconds`. */
export function signedQuery(secret: Uint8Array, scope: SignatureScope, path: string, nowSeconds: number, ttlSeconds: number): string {
  const expires = Math.floor(nowSeconds) + ttlSeconds;
  return `expires=${expires}&sig=${signPath(secret, scope, path, expires)}`;
}

export type SignatureCheck = 'valid' | 'missing' | 'expired' | 'invalid';

export function checkSignature(
  secret: Uint8Array,
  scope: SignatureScope,
  path: string,
  query: { expires?: unknown; sig?: unknown },
  nowSeconds: number,
): SignatureCheck {
  if (typeof query.expires !== 'string' || typeof query.sig !== 'string') return 'missing';
  if (!/^\d{1,12}$/.test(query.expires) || !/^[0-9a-f]{64}$/.test(query.sig)) return 'invalid';
  const expires = Number(query.expires);
  const expected = Buffer.from(signPath(secret, scope, path, expires), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(query.sig, 'hex'))) return 'invalid';
  return expires < nowSeconds ? 'expired' : 'valid';
}
