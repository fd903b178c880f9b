export * from './connection/nats-connection.service';
export * from './client/envelope';
export * from './client/nats-client';
export * from './nest/invalid-json-payload';
export * from './nest/tolerant-nats.deserializer';
export * from './nest/silo-nats.server';
export * from './nest/messaging.module';
