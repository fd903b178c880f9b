export * from './simulator';
export * from './wire';
