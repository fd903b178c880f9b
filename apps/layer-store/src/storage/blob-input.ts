import { DigestError, parseDigest, ParsedDigest } from '@silo/domain';
import { InvalidDigest, UploadUnknown } from './errors';

/** Upload ids are UUIDs a backend generated; nothing else may name an upload (or a path). */
export const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every backend validates a digest before using it: only well-formed sha256/sha512 digests. */
export function parseBlobDigest(digest: string): ParsedDigest {
  try {
    return parseDigest(digest);
  } catch (err) {
    if (err instanceof DigestError) throw new InvalidDigest(err.message);
    throw err;
  }
}

export function checkUploadId(id: string): void {
  if (!UPLOAD_ID.test(id)) throw new UploadUnknown(id);
}
