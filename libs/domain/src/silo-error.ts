import { ErrorCode, ErrorCodes } from './error-codes';

/** Details attached to an error: for validation, one entry per problem. */
export type ErrorDetails = Record<string, unknown> | readonly unknown[];

/**
 * Base of every domain error. Features subclass it near their code; edges map it to HTTP or RPC
 * through the error registry, so no feature knows about status codes.
 */
export class SiloError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ErrorCodes[code].message,
    readonly details?: ErrorDetails,
    /** Overrides the registry's HTTP status where a protocol says so (e.g. 413 for a too-large manifest). */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
