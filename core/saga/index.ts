import { registerSpecCheck } from '../spec';
import { checkSagaSection } from './spec-check';

export * from './steps';
export * from './errors';
export * from './plan';
export * from './asl';
export * from './exchange';
export { checkSagaSection } from './spec-check';

// Importing the saga module adds its cross-section rules to parseSpec.
registerSpecCheck(checkSagaSection);
