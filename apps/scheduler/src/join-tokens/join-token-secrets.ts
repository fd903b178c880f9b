import { parseJoinToken } from '@silo/contracts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh token: a 12-hex-digit id and a 160-bit secret, `SILO-JOIN-<id>-<secret>`. */
export function generateJoinToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(20).toString('hex');
  return { id, secret, token: `SILO-JOIN-${id}-${secret}` };
}

/** What is stored: sha256 of `id:secret` (the id salts it), hex. */
export function hashJoinSecret(id: string, secret: string): string {
  return createHash('sha256').update(`${id}:${secret}`).digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function joinSecretMatches(id: string, secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashJoinSecret(id, secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export { parseJoinToken };
