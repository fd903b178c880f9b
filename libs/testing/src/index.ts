export * from './free-port';
export * from './temp-dir';
export * from './wait-for';
export * from './nats-server';
export * from './child-processes';
export * from './find-executable';
export * from './postgres-server';
