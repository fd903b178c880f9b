export * from './leader-lease';
export * from './leadership.service';
