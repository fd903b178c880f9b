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
