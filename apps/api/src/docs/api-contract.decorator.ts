import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';

export interface ApiContractOptions {
  summary: string;
  /** The request body's contract class (its schema comes from the class-validator metadata). */
  body?: Type<unknown>;
  /** The success reply's class. */
  reply?: Type<unknown>;
  /** Success status (default 200; 201 for creations). */
  status?: number;
  /** Content type of a streamed reply (NDJSON logs, SSE events). */
  produces?: string;
  query?: Array<{ name: string; description: string; required?: boolean; type?: 'string' | 'integer' | 'boolean'; isArray?: boolean }>;
  params?: Array<{ name: string; description: string }>;
}

export const schemaRef = (cls: Type<unknown>) => ({ $ref: `#/components/schemas/${cls.name}` });

const ERROR_REF = { $ref: '#/components/schemas/ErrorBody' };

/**
 * One decorator for an operation's OpenAPI description: the build uses SWC (no swagger CLI
 * plugin), so schemas are generated from the contracts' class-validator metadata (see
 * openapi.ts) and referenced here by class name.
 */
export function ApiContract(options: ApiContractOptions): MethodDecorator {
  const decorators: Array<MethodDecorator | ClassDecorator | PropertyDecorator> = [ApiOperation({ summary: options.summary })];
  if (options.body) decorators.push(ApiBody({ schema: schemaRef(options.body) }));
  const status = options.status ?? 200;
  if (options.produces) {
    decorators.push(ApiProduces(options.produces));
    decorators.push(ApiResponse({ status, description: options.produces, content: { [options.produces]: { schema: { type: 'string' } } } }));
  } else {
    decorators.push(ApiResponse({ status, description: 'success', ...(options.reply ? { schema: schemaRef(options.reply) } : {}) }));
  }
  for (const q of options.query ?? []) {
    decorators.push(ApiQuery({ name: q.name, description: q.description, required: q.required ?? false, type: q.type ?? 'string', isArray: q.isArray }));
  }
  for (const p of options.params ?? []) decorators.push(ApiParam({ name: p.name, description: p.description }));
  decorators.push(
    ApiResponse({ status: 400, description: 'VALIDATION_FAILED: every problem in details', schema: ERROR_REF }),
    ApiResponse({ status: 401, description: 'UNAUTHORIZED or SESSION_EXPIRED', schema: ERROR_REF }),
    ApiResponse({ status: 403, description: 'DENIED: the message says which role is needed', schema: ERROR_REF }),
  );
  return applyDecorators(...(decorators as MethodDecorator[]));
}
