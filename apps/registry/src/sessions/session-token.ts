import { createHash, randomBytes } from 'node:crypto';

/** Session tokens say what they are, so a verifier can tell them from JWTs without a lookup. */
export const SESSION_TOKEN_PREFIX = 'silo_s_';

/** A fresh session token: the prefix and 256 random bits, base64url. */
export function newSessionToken(): string {
  return `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function isSessionToken(token: string): boolean {
  return token.startsWith(SESSION_TOKEN_PREFIX);
}

/** What is stored: sha256 is enough for random 256-bit tokens (nothing to brute-force). */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
