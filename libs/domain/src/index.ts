export * from './service-name';
export * from './quantity';
export * from './digest';
export * from './error-codes';
export * from './silo-error';
export * from './url-signature';
export * from './image-reference';
export * from './oci-error';
