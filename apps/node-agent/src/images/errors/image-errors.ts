import { ErrorCode, SiloError } from '@silo/domain';

/**
 * Why a pull failed, in words the agent reports as `failed(reason)`. Each kind has its own class
 * so callers can tell them apart; `reason` is a short, stable phrase.
 */
export type PullFailureKind =
  | 'bad-reference'
  | 'not-found'
  | 'unauthorized'
  | 'unreachable'
  | 'registry-error'
  | 'digest-mismatch'
  | 'no-matching-platform'
  | 'unsupported'
  | 'invalid-image'
  | 'storage-error';

export abstract class ImagePullError extends SiloError {
  abstract readonly kind: PullFailureKind;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }

  /** `kind: message`, e.g. `not-found: manifest unknown: 127.0.0.1:5000/team/app:nope`. */
  get reason(): string {
    return `${this.kind}: ${this.message}`;
  }
}

export class BadImageReference extends ImagePullError {
  readonly kind = 'bad-reference';
  constructor(reference: string, why: string) {
    super('VALIDATION_FAILED', `invalid image reference "${reference}": ${why}`, { reference });
  }
}

/** MANIFEST_UNKNOWN, NAME_UNKNOWN or BLOB_UNKNOWN from the registry. */
export class ImageNotFound extends ImagePullError {
  readonly kind = 'not-found';
  constructor(
    message: string,
    readonly registryCode: string,
    details?: Record<string, unknown>,
  ) {
    super(registryCode === 'NAME_UNKNOWN' ? 'NAME_UNKNOWN' : registryCode === 'BLOB_UNKNOWN' ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN', message, details);
  }
}

export class RegistryUnauthorized extends ImagePullError {
  readonly kind = 'unauthorized';
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNAUTHORIZED', message, details);
  }
}

export class RegistryUnreachable extends ImagePullError {
  readonly kind = 'unreachable';
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNAVAILABLE', message, details);
  }
}

/** Any other non-success answer (5xx, an unexpected status). */
export class RegistryRequestFailed extends ImagePullError {
  readonly kind = 'registry-error';
  constructor(
    message: string,
    readonly status: number,
    details?: Record<string, unknown>,
  ) {
    super(status >= 500 ? 'UNAVAILABLE' : 'INTERNAL', message, details);
  }
}

export class ImageDigestMismatch extends ImagePullError {
  readonly kind = 'digest-mismatch';
  constructor(what: string, expected: string, actual: string) {
    super('DIGEST_INVALID', `${what} does not match its digest: expected ${expected}, got ${actual}`, { expected, actual });
  }
}

export class NoMatchingPlatform extends ImagePullError {
  readonly kind = 'no-matching-platform';
  constructor(wanted: string, available: string[]) {
    super('NOT_FOUND', `no image for ${wanted} in the index (it has: ${available.join(', ') || 'none'})`, { wanted, available });
  }
}

export class UnsupportedImage extends ImagePullError {
  readonly kind = 'unsupported';
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNSUPPORTED', message, details);
  }
}

export class InvalidImage extends ImagePullError {
  readonly kind = 'invalid-image';
  constructor(message: string, details?: Record<string, unknown>) {
    super('MANIFEST_INVALID', message, details);
  }
}

/** The agent's own disk failed it (no space, permissions) while storing or unpacking. */
export class ImageStorageFailed extends ImagePullError {
  readonly kind = 'storage-error';
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL', message, details);
  }
}
