import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { isRpcErrorBody, RpcErrorBody } from '@silo/contracts';
import { describeError, SiloError } from '@silo/domain';
import type { Response } from 'express';
import { throwError } from 'rxjs';

const HTTP_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

/** Maps any exception to Silo's `{ code, message, details }` body and an HTTP status. */
export function toErrorBody(exception: unknown): { status: number; body: RpcErrorBody } {
  if (exception instanceof SiloError) {
    return { status: exception.httpStatus ?? describeError(exception.code).httpStatus, body: exception.toJSON() };
  }
  if (exception instanceof RpcException) {
    const error = exception.getError();
    const body = isRpcErrorBody(error) ? error : { code: 'INTERNAL', message: String(error) };
    return { status: describeError(body.code).httpStatus, body };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
    return { status, body: { code: HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED'), message: String(message) } };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
}

/**
 * The one edge mapping for errors, for both transports: domain errors (SiloError) keep their
 * code; HTTP gets the registry's status and a JSON body; NATS gets the body as the reply's `err`.
 * Unexpected errors are logged with their stack and answered as INTERNAL without internals.
 */
@Catch()
export class SiloExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost) {
    const { status, body } = toErrorBody(exception);
    if (status >= 500 && !(exception instanceof SiloError)) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (host.getType() === 'rpc') return throwError(() => body);
    const res = host.switchToHttp().getResponse<Response>();
    res.status(status).json(body);
    return undefined;
  }
}
