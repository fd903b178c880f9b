import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SiloError } from '@silo/domain';
import { toErrorBody } from '@silo/service-kit';
import type { NextFunction, Request, Response } from 'express';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** body-parser's errors as Silo errors: malformed JSON is VALIDATION_FAILED, not a 500. */
export function fromBodyParser(err: BodyParserError): SiloError | undefined {
  if (typeof err?.type !== 'string' || !err.type.startsWith('entity.') && !err.type.startsWith('encoding.') && err.type !== 'charset.unsupported') return undefined;
  if (err.type === 'entity.parse.failed') {
    return new SiloError('VALIDATION_FAILED', `the body is not valid JSON: ${err.message}`, [{ path: '', problems: ['the body must be valid JSON'] }]);
  }
  if (err.type === 'entity.too.large') return new SiloError('VALIDATION_FAILED', `the body is larger than ${err.limit ?? 'the limit of'} bytes`, undefined, 413);
  return new SiloError('VALIDATION_FAILED', err.message, undefined, err.status);
}

/**
 * The request body is parsed before any Nest handler runs, so its errors never reach the
 * exception filter as Silo errors: this error middleware (mounted while the app initializes,
 * before Nest's own error handler) answers them as `{ code, message, details }`.
 */
@Injectable()
export class BodyErrors implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    this.adapterHost.httpAdapter?.use((err: BodyParserError, _req: Request, res: Response, next: NextFunction) => {
      const silo = fromBodyParser(err);
      if (!silo || res.headersSent) return next(err);
      const { status, body } = toErrorBody(silo);
      res.status(status).json(body);
    });
  }
}
