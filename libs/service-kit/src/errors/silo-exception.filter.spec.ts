import { NotFoundException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ContractViolation } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { InvalidJsonPayload } from '@silo/messaging';
import { IsInt } from 'class-validator';
import { ContractValidationPipe } from '../validation/contract-validation.pipe';
import { toErrorBody } from './silo-exception.filter';

class Sized {
  @IsInt() size!: number;
}

describe('error mapping at the edges', () => {
  it('keeps domain codes and maps them to HTTP statuses from the registry', () => {
    expect(toErrorBody(new SiloError('CONFLICT', 'taken'))).toEqual({ status: 409, body: { code: 'CONFLICT', message: 'taken' } });
    expect(toErrorBody(new RpcException({ code: 'TIMEOUT', message: 'slow' })).status).toBe(504);
    expect(toErrorBody(new NotFoundException('Cannot GET /x')).body).toEqual({ code: 'NOT_FOUND', message: 'Cannot GET /x' });
  });

  it('hides internals of unexpected errors', () => {
    expect(toErrorBody(new TypeError('x is undefined'))).toEqual({ status: 500, body: { code: 'INTERNAL', message: 'internal error' } });
  });
});

describe('ContractValidationPipe', () => {
  const pipe = new ContractValidationPipe();
  const meta = { type: 'body' as const, metatype: Sized };

  it('returns a typed instance for a valid payload', () => {
    expect(pipe.transform({ size: 3 }, meta)).toBeInstanceOf(Sized);
  });

  it('refuses invalid payloads, unknown fields and non-JSON with a ContractViolation', () => {
    expect(() => pipe.transform({ size: 'big', extra: 1 }, meta)).toThrow(ContractViolation);
    expect(() => pipe.transform(new InvalidJsonPayload('{oops'), meta)).toThrow(/not valid JSON/);
  });

  it('leaves primitives and custom params alone', () => {
    expect(pipe.transform('42', { type: 'param', metatype: String })).toBe('42');
    expect(pipe.transform({ any: 1 }, { type: 'custom', metatype: Sized })).toEqual({ any: 1 });
  });
});
