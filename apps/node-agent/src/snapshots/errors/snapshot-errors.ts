import { SiloError } from '@silo/domain';

/** A layer tar that cannot be unpacked safely or does not match its diffID. */
export class LayerUnpackError extends SiloError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('DIGEST_INVALID', message, details);
  }
}

/** The layer's uncompressed content does not hash to the diffID the image config lists. */
export class DiffIdMismatch extends LayerUnpackError {
  constructor(expected: string, actual: string) {
    super(`layer content does not match its diffID: expected ${expected}, got ${actual}`, { expected, actual });
  }
}

/** A layer compression this agent cannot read (zstd: Node 20 has no zstd decoder). */
export class UnsupportedLayerFormat extends SiloError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNSUPPORTED', message, details);
  }
}

/** A container's root was asked for an image whose layers are not all unpacked. */
export class SnapshotMissing extends SiloError {
  constructor(chainId: string) {
    super('NOT_FOUND', `snapshot ${chainId} is not present: pull the image first`, { chainId });
  }
}

export class InvalidContainerId extends SiloError {
  constructor(id: string) {
    super('VALIDATION_FAILED', `invalid container id "${id}": 1-128 letters, digits, '_', '.', '-', starting with a letter or digit`, { id });
  }
}

/** mount(2) or umount(2) failed, or the overlay's options cannot be expressed. */
export class MountError extends SiloError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL', message, details);
  }
}
