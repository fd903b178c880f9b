export * from './blob-store-unavailable.error';
export * from './blob-unknown.error';
export * from './digest-mismatch.error';
export * from './invalid-digest.error';
export * from './range-not-satisfiable.error';
export * from './upload-offset-mismatch.error';
export * from './upload-unknown.error';
