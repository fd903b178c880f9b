import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ContractViolation, validateContract } from '@silo/contracts';
import { InvalidJsonPayload } from '@silo/messaging';

const NOT_CONTRACTS: unknown[] = [String, Boolean, Number, Array, Object, Buffer];

/**
 * Validates every HTTP body and NATS payload that has a contract class, for both transports
 * (whitelist, forbid unknown fields), and throws a ContractViolation listing every problem;
 * SiloExceptionFilter turns it into a 400 or a structured RPC error.
 */
@Injectable()
export class ContractValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { metatype, type } = metadata;
    if (type === 'custom' || !metatype || NOT_CONTRACTS.includes(metatype)) return value;
    if (value instanceof InvalidJsonPayload) {
      throw new ContractViolation(metatype.name, [{ path: '', problems: [`the message is not valid JSON: ${value.raw.slice(0, 40)}`] }]);
    }
    return validateContract(metatype as new () => object, value);
  }
}
