/**
 * Whether the deployed sync is running, from the states AWS reports for its parts: the relay schedule
 * (an EventBridge rule) and the stream event source mappings of the services -> monolith applier. Pure, so
 * the CLI and its tests agree on what "stopped" means.
 */

/** EventBridge rule state. */
export type RuleState = 'ENABLED' | 'DISABLED' | string;
/** Lambda event source mapping state (Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting). */
export type MappingState = string;

export type SyncRunState =
  /** Every part on: the relay runs on its schedule and every synced table's stream is read. */
  | 'running'
  /** Every part off: nothing polls; service writes wait in the streams (24 h) and monolith ones in cutover_changes. */
  | 'stopped'
  /** Parts on their way on or off (a mapping is Enabling or Disabling). */
  | 'changing'
  /** Some parts on and some off: a start or stop was interrupted; run it again. */
  | 'partial';

export interface SyncParts {
  readonly rule: RuleState;
  readonly mappings: readonly MappingState[];
}

const ON = new Set(['Enabled']);
const OFF = new Set(['Disabled']);
const MOVING = new Set(['Creating', 'Enabling', 'Disabling', 'Updating']);

export function syncRunState(parts: SyncParts): SyncRunState {
  if (parts.mappings.some((m) => MOVING.has(m))) return 'changing';
  const ruleOn = parts.rule === 'ENABLED';
  const allOn = ruleOn && parts.mappings.every((m) => ON.has(m));
  const allOff = !ruleOn && parts.mappings.every((m) => OFF.has(m));
  if (allOn) return 'running';
  if (allOff) return 'stopped';
  return 'partial';
}
