export * from './verdict';
export * from './health';
export * from './capability-types';
