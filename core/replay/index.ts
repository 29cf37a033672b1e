export * from './captured';
export * from './captured-keys';
export * from './plan';
export * from './checkpoint';
export * from './rate-limiter';
export * from './runner';
export * from './pii';
