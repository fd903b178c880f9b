/**
 * Content digests as the OCI image spec defines them: `algorithm:encoded`, with the registered
 * algorithms sha256 (64 lowercase hex) and sha512 (128 lowercase hex).
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly encoded: string;
}

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export class DigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestError';
  }
}

export function parseDigest(text: string): ParsedDigest {
  if (!DIGEST_GRAMMAR.test(text)) throw new DigestError(`invalid digest "${text}": expected algorithm:hex`);
  const [algorithm, encoded] = text.split(':', 2) as [string, string];
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new DigestError(`unsupported digest algorithm "${algorithm}": use sha256 or sha512`);
  }
  if (encoded.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(encoded)) {
    throw new DigestError(`invalid ${algorithm} digest: expected ${HEX_LENGTH[algorithm]} lowercase hex characters`);
  }
  return { algorithm, encoded };
}

export function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}
