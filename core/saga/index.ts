export * from './steps';
export * from './errors';
export * from './plan';
export * from './asl';
export * from './exchange';
export { checkSagaSection } from './spec-check';
// Its cross-section rules run in every parseSpec: core/spec lists them in SPEC_CHECKS.
export * from './functions';
