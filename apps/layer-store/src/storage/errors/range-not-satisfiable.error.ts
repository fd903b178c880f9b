import { SiloError } from '@silo/domain';

export class RangeNotSatisfiable extends SiloError {
  constructor(readonly size: number, range: string) {
    super('RANGE_INVALID', `range ${range} is not satisfiable for a blob of ${size} bytes`, { size }, 416);
  }
}
