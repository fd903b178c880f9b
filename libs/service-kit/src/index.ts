import 'reflect-metadata';

export * from './config/env-var.decorator';
export * from './config/load-config';
export * from './config/base-service.config';
export * from './logging/pino-nest.logger';
export * from './health/health-indicator';
export * from './health/health.service';
export * from './health/disk-writable.indicator';
export * from './health/nats.indicator';
export * from './health/health-rpc.controller';
export * from './metrics/metrics.service';
export * from './errors/silo-exception.filter';
export * from './validation/contract-validation.pipe';
export * from './clock/clock';
export * from './version';
export * from './service-identity';
export * from './service-kit.module';
export * from './bootstrap/bootstrap-service';
