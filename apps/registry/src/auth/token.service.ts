import { Injectable } from '@nestjs/common';
import { Clock, SecretStore } from '@silo/service-kit';
import { errors, importPKCS8, importSPKI, jwtVerify, KeyLike, SignJWT } from 'jose';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { RegistryConfig } from '../config/registry.config';
import { Principal, ResourceAccess } from './access';

export interface IssuedToken {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export interface VerifiedToken {
  subject: string;
  kind: Principal['kind'];
  access: ResourceAccess[];
  /** The `exp` claim. */
  expiresAt?: Date;
}

/** Why a token was refused, or what it says: expired tokens are told apart (log in again). */
export type TokenCheck = { status: 'valid'; token: VerifiedToken } | { status: 'expired' } | { status: 'invalid' };

const ISSUER = 'silo-registry';

/**
 * Bearer tokens of the Docker token flow: ES256 JWTs whose `access` claim lists the granted
 * scopes. The signing key is created once in `$SILO_HOME/keys/registry-token.key`.
 */
@Injectable()
export class TokenService {
  private keys?: Promise<{ privateKey: KeyLike; publicKey: KeyLike }>;

  constructor(
    private readonly config: RegistryConfig,
    private readonly clock: Clock,
  ) {}

  async issue(principal: Principal, access: ResourceAccess[], now = this.clock.now()): Promise<IssuedToken> {
    const { privateKey } = await this.loadKeys();
    const ttl = this.config.tokenTtlSeconds;
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ access, kind: principal.kind })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.config.serviceName)
      .setSubject(principal.name)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
    return { token, access_token: token, expires_in: ttl, issued_at: now.toISOString() };
  }

  /** The token's grants, or undefined when it is forged, expired or for another service. */
  async verify(token: string): Promise<VerifiedToken | undefined> {
    const checked = await this.check(token);
    return checked.status === 'valid' ? checked.token : undefined;
  }

  /** Verifies signature, issuer, audience and times (against the injectable clock). */
  async check(token: string): Promise<TokenCheck> {
    const { publicKey } = await this.loadKeys();
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: ISSUER,
        audience: this.config.serviceName,
        algorithms: ['ES256'],
        currentDate: this.clock.now(),
      });
      const access = Array.isArray(payload['access']) ? (payload['access'] as ResourceAccess[]) : [];
      const kind = (payload['kind'] as Principal['kind']) ?? 'user';
      const expiresAt = typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
      return { status: 'valid', token: { subject: String(payload.sub ?? ''), kind, access, expiresAt } };
    } catch (err) {
      return err instanceof errors.JWTExpired ? { status: 'expired' } : { status: 'invalid' };
    }
  }

  private loadKeys() {
    this.keys ??= (async () => {
      const pem = new SecretStore(this.config.home)
        .getOrCreate('registry-token', () => {
          const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
          return Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
        })
        .toString('utf8');
      const publicPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;
      return { privateKey: await importPKCS8(pem, 'ES256'), publicKey: await importSPKI(publicPem, 'ES256') };
    })();
    return this.keys;
  }
}
