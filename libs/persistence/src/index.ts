export * from './data-source.factory';
export * from './database.indicator';
export * from './persistence.module';
