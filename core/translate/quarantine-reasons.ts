import type { QuarantineReason } from './translator';

/** Every reason the bridge quarantines for (kept exhaustive by the type: a new reason must be added here). */
const REASONS: Record<QuarantineReason, string> = {
  'unknown-type': 'the detail-type is not an event of the spec',
  schema: 'the payload or its envelope fails the schema',
  'unknown-version': 'the service event version is not declared',
  untranslatable: 'a value could not be converted, or the other side rejected the result',
  'no-translation': 'the spec has no translation for the event in this direction',
};
export const QUARANTINE_REASONS = Object.keys(REASONS) as QuarantineReason[];
export function describeReason(reason: QuarantineReason): string {
  return REASONS[reason];
}
