import type { ServiceName } from '@silo/domain';
import { hostname } from 'node:os';

/** Who this process is, for health replies, logs and metrics. */
export class ServiceIdentity {
  constructor(
    readonly service: ServiceName,
    readonly version: string,
    readonly instance = `${hostname()}:${process.pid}`,
    readonly startedAt: Date = new Date(),
  ) {}
}
