import { describeError } from './error-codes';
import { SiloError } from './silo-error';

/** One entry of an OCI Distribution error body. */
export interface OciErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

export interface OciErrorResponse {
  status: number;
  body: { errors: OciErrorEntry[] };
  /** Not a SiloError: a bug, which the caller logs (the client only sees `UNKNOWN`). */
  unexpected: boolean;
}

/**
 * An error as the OCI Distribution spec answers it: `{"errors":[{"code","message","detail"}]}`
 * with the status of its code (one registry of codes: error-codes.ts). Shared by every service
 * that speaks the distribution API (the registry, and the layer store's direct uploads).
 */
export function ociError(err: unknown): OciErrorResponse {
  if (!(err instanceof SiloError)) return { status: 500, body: { errors: [{ code: 'UNKNOWN', message: 'internal error' }] }, unexpected: true };
  const status = err.code === 'UNAVAILABLE' ? 503 : (err.httpStatus ?? describeError(err.code).httpStatus);
  const entry: OciErrorEntry = { code: err.code, message: err.message, ...(err.details !== undefined ? { detail: err.details } : {}) };
  return { status, body: { errors: [entry] }, unexpected: false };
}

/** The header every distribution API response carries (the registry's and the layer store's uploads). */
export const DISTRIBUTION_API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const;

/**
 * `Content-Range: <start>-<end>` of a chunked upload PATCH (also with a `bytes ` / `bytes=`
 * prefix). Malformed: BLOB_UPLOAD_INVALID with status 416. The caller checks the range against
 * the upload (a chunk must start where the upload ends).
 */
export function parseContentRange(header: string): { start: number; end: number } {
  const match = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!match) throw new SiloError('BLOB_UPLOAD_INVALID', `invalid Content-Range "${header.slice(0, 80)}"`, undefined, 416);
  return { start: Number(match[1]), end: Number(match[2]) };
}
