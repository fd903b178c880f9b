import { Injectable } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AdminCredentials } from '@silo/service-kit';

export interface Principal {
  username: string;
  role: 'admin';
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Checks credentials. Today: the generated admin; users, teams and tokens arrive with #3/#6. */
@Injectable()
export class AuthService {
  constructor(private readonly admin: AdminCredentials) {}

  /** Parses an `Authorization` header; undefined when absent, malformed or wrong. */
  authenticate(header: string | undefined): Principal | undefined {
    const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '')?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // Compare digests: constant time whatever the lengths.
    const userOk = timingSafeEqual(digest(username), digest(this.admin.username));
    const passOk = timingSafeEqual(digest(password), digest(this.admin.password));
    return userOk && passOk ? { username, role: 'admin' } : undefined;
  }
}
