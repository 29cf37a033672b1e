export * from './verdict';
export * from './health';
