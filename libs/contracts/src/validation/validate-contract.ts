import { SiloError } from '@silo/domain';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** One problem with one field of a message; `path` is dotted (`capacity.cpuMillis`). */
export interface ContractProblem {
  path: string;
  problems: string[];
}

export class ContractViolation extends SiloError {
  constructor(
    readonly contract: string,
    readonly problems: ContractProblem[],
  ) {
    super('VALIDATION_FAILED', `invalid ${contract}: ${summarize(problems)}`, problems);
  }
}

function summarize(problems: ContractProblem[]): string {
  return problems.map((p) => `${p.path || '(message)'}: ${p.problems.join(', ')}`).join('; ');
}

/** Flattens class-validator's nested errors into one entry per failing field. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ContractProblem[] {
  const out: ContractProblem[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out.push({ path, problems: Object.values(error.constraints) });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, path));
  }
  return out;
}

export const VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  // Non-objects are refused before validation; a contract with no fields is still a valid class.
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
} as const;

/**
 * Validates a plain message against its contract class and returns the typed instance, or throws
 * a ContractViolation that lists every problem. Used at both edges of every message.
 */
export function validateContract<T extends object>(cls: new () => T, payload: unknown): T {
  if (payload === undefined || payload === null) payload = {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ContractViolation(cls.name, [{ path: '', problems: ['the message must be a JSON object'] }]);
  }
  const instance = plainToInstance(cls, payload, { enableImplicitConversion: false });
  const errors = validateSync(instance, VALIDATION_OPTIONS);
  if (errors.length > 0) throw new ContractViolation(cls.name, flattenValidationErrors(errors));
  return instance;
}
