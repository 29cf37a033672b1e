import type { RecordedEvent } from '../../core/replay';
import { parseSpec, type Spec } from '../../core/spec';
import { Translator } from '../../core/translate/translator';
import { buildShadowEvent, targetProfile } from '../../core/replay/shadow-event';
import { candidateOutcomes } from './candidate';

/*
 * The candidate for `cutover rehearse --service ./functions/inventory-candidate`: the same logic the Lambda
 * runs, called in process. The captured input is turned into the service event exactly as the cloud replay
 * does (core/replay/shadow-event.ts), then the candidate answers with its outcome events.
 * The spec comes from $CUTOVER_CONFIG or ./cutover.config.ts, loaded once.
 */
export interface RehearsalInputLike {
  readonly type: string;
  readonly version?: number;
  readonly payload: unknown;
  readonly entity: { readonly type: string; readonly key: string };
  readonly correlationId?: string;
  readonly capturedAt: string;
  readonly replay: { readonly replayId: string; readonly interactionId: string; readonly replayEventId: string; readonly mode: 'shadow' };
}

let loaded: { spec: Spec; translator: Translator } | undefined;

function load(): { spec: Spec; translator: Translator } {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const file = path.resolve(process.env.CUTOVER_CONFIG ?? path.join(__dirname, '..', '..', 'cutover.config.ts'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { default?: unknown };
  const spec = parseSpec(mod.default ?? mod);
  loaded = { spec, translator: new Translator(spec) };
  return loaded;
}

/** The rehearsal handler: captured input in, the candidate's outcome events (service model) out. */
export async function rehearsalHandler(input: RehearsalInputLike): Promise<RecordedEvent[]> {
  const { spec, translator } = load();
  const shadow = buildShadowEvent(
    spec,
    translator,
    {
      id: input.replay.interactionId,
      type: input.type,
      version: input.version,
      payload: input.payload,
      entity: input.entity,
      correlationId: input.correlationId,
      capturedAt: input.capturedAt,
    },
    input.replay,
    targetProfile(spec, 'inventory'),
  );
  if (!shadow.ok) {
    // An input the capability does not consume would not have been sent: nothing comes back. Anything
    // else (an input that no longer translates) is an error the rehearsal reports with its reason.
    if (shadow.code === 'not-consumed') return [];
    const err = new Error(shadow.reason);
    err.name = 'UnreplayableInput';
    throw err;
  }
  return candidateOutcomes({ type: shadow.event['detail-type'], data: shadow.event.detail.data, now: new Date() });
}
