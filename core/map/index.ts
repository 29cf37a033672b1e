export * from './model';
export { buildTransactionMap, type BuildMapOptions } from './build';
export { readAppFacts, appView, readableId, type AppFacts, type AppTemplate, type AppRule, type AppStateMachine } from './app';
export {
  findRisks,
  RULES,
  forwardWithoutCompensation,
  crossingWithoutIdempotency,
  unsyncedWrite,
  untranslatedConsumption,
  syncWithoutPolicy,
  canaryWithoutSync,
  type RiskContext,
  type Consumer,
  type DefinitionUnderTest,
} from './risks';
export { criticalPathsOf, budgetOf, CRITICAL_PATHS } from './critical-path';
export {
  HopObserver,
  percentile,
  summarise,
  durationsOf,
  pathDurations,
  type ObservedHops,
  type ObservedEntry,
  type ObservedRun,
} from './observed';
export { syncLinksOf } from './sync-view';
export { renderMermaid } from './mermaid';
export { renderHtml } from './html';
export { renderSummary } from './summary';
