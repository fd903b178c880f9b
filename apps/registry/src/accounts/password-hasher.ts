import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
const COST = 16384;

function derive(secret: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: cost, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** scrypt password hashes: `scrypt$<N>$<salt b64>$<hash b64>`. */
@Injectable()
export class PasswordHasher {
  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(secret, salt, COST);
    return `scrypt$${COST}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(secret: string, stored: string): Promise<boolean> {
    const [scheme, cost, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !cost || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const key = await derive(secret, Buffer.from(salt, 'base64'), Number(cost));
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}
