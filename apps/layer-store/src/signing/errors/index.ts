export * from './signature-expired.error';
export * from './signature-invalid.error';
export * from './signature-missing.error';
