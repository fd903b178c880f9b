import 'reflect-metadata';
export * from './subjects';
export * from './rpc-error';
export * from './validation/validate-contract';
export * from './health/health.contract';
export * from './node-register/node-register.contract';
export * from './node-list/node-list.contract';
export * from './status/status.contract';
export * from './layer-store/layer-store.contract';
