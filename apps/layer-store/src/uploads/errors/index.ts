export * from './invalid-upload-offset.error';
export * from './upload-interrupted.error';
