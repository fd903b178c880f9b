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
  DENIED: define('DENIED', 'requested access to the resource is denied', 403),
  NOT_FOUND: define('NOT_FOUND', 'not found', 404),
  CONFLICT: define('CONFLICT', 'the request conflicts with the current state', 409),
  TIMEOUT: define('TIMEOUT', 'the service did not answer in time', 504),
  UNAVAILABLE: define('UNAVAILABLE', 'the service is unavailable', 503),
  INTERNAL: define('INTERNAL', 'internal error', 500),
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export function describeError(code: string): ErrorDescriptor {
  return (ErrorCodes as Record<string, ErrorDescriptor>)[code] ?? ErrorCodes.INTERNAL;
}
