export * from './routes';
export * from './headers';
export * from './sticky';
export * from './decision';
export * from './policy';
export * from './problem';
export * from './compare';
