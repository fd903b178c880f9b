/**
 * The one registry of Silo's error codes, in the manner of Distribution's errcode package: each
 * code has a default message and the HTTP status it maps to at an HTTP edge. RPC edges carry
 * `{ code, message, details }` unchanged. Features add their codes here, never ad hoc.
 */
export interface ErrorDescriptor {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
}

function define<const C extends string>(code: C, message: string, httpStatus: number): ErrorDescriptor & { code: C } {
  return { code, message, httpStatus };
}

export const ErrorCodes = {
  VALIDATION_FAILED: define('VALIDATION_FAILED', 'the request is invalid', 400),
  UNAUTHORIZED: define('UNAUTHORIZED', 'authentication required', 401),
  SESSION_EXPIRED: define('SESSION_EXPIRED', 'the session has expired: log in again', 401),
  DENIED: define('DENIED', 'requested access to the resource is denied', 403),
  NOT_FOUND: define('NOT_FOUND', 'not found', 404),
  CONFLICT: define('CONFLICT', 'the request conflicts with the current state', 409),
  TIMEOUT: define('TIMEOUT', 'the service did not answer in time', 504),
  UNAVAILABLE: define('UNAVAILABLE', 'the service is unavailable', 503),
  INTERNAL: define('INTERNAL', 'internal error', 500),
  // OCI Distribution Specification v1.1 error codes (registry and layer store).
  BLOB_UNKNOWN: define('BLOB_UNKNOWN', 'blob unknown to registry', 404),
  BLOB_UPLOAD_INVALID: define('BLOB_UPLOAD_INVALID', 'blob upload invalid', 400),
  BLOB_UPLOAD_UNKNOWN: define('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', 404),
  DIGEST_INVALID: define('DIGEST_INVALID', 'provided digest did not match uploaded content', 400),
  MANIFEST_BLOB_UNKNOWN: define('MANIFEST_BLOB_UNKNOWN', 'manifest references a manifest or blob unknown to registry', 400),
  MANIFEST_INVALID: define('MANIFEST_INVALID', 'manifest invalid', 400),
  MANIFEST_UNKNOWN: define('MANIFEST_UNKNOWN', 'manifest unknown to registry', 404),
  NAME_INVALID: define('NAME_INVALID', 'invalid repository name', 400),
  NAME_UNKNOWN: define('NAME_UNKNOWN', 'repository name not known to registry', 404),
  SIZE_INVALID: define('SIZE_INVALID', 'provided length did not match content length', 400),
  UNSUPPORTED: define('UNSUPPORTED', 'the operation is unsupported', 405),
  TOOMANYREQUESTS: define('TOOMANYREQUESTS', 'too many requests', 429),
  RANGE_INVALID: define('RANGE_INVALID', 'requested range not satisfiable', 416),
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export function describeError(code: string): ErrorDescriptor {
  return (ErrorCodes as Record<string, ErrorDescriptor>)[code] ?? ErrorCodes.INTERNAL;
}
