import { BRIDGE_SOURCE, isServiceEvent, LEGACY_META_KEY } from '../events/envelope';
import { CORRELATION_ID_PATTERN } from '../events/envelope-schema';
import { getPath } from '../events/paths';
import type { Spec } from '../spec/schema';
import { correlationFor } from '../translate/translator';
import { UNCORRELATED_STREAM } from './keys';
import { canonicalJson } from '../canonical-json';
import { sha256Hex } from './bounds';

/** An event as seen on a bus, reduced to what the audit log needs to place it. */
export interface BusEvent {
  readonly detailType?: string;
  readonly source?: string;
  readonly detail: unknown;
}

/**
 * The audit stream of an event: its correlation id, so an order's legacy event, its translation and its
 * saga steps read as one history. Service events carry `metadata.correlationId`; legacy events the bridge
 * emitted carry `_cutover.correlationId`; a monolith event gets the id the translator would give it
 * (`<entity type>-<key>`). Anything else lands in `uncorrelated`.
 * A producer's claim is taken only when it can be: the `_cutover` stamp only from the bridge's own source,
 * and a correlation id only when well-formed (CORRELATION_ID_PATTERN); a malformed one never names a
 * stream (the store bounds keys too, see the audit store).
 */
export function auditStreamFor(spec: Pick<Spec, 'bridge'>, event: BusEvent): string {
  const { detail } = event;
  if (isServiceEvent(detail)) {
    const id = detail.metadata.correlationId;
    if (typeof id === 'string' && CORRELATION_ID_PATTERN.test(id)) return id;
  }
  if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
    const meta = (detail as Record<string, unknown>)[LEGACY_META_KEY] as { correlationId?: unknown } | undefined;
    if (event.source === BRIDGE_SOURCE && meta && typeof meta.correlationId === 'string' && CORRELATION_ID_PATTERN.test(meta.correlationId))
      return meta.correlationId;
    const def = legacyDef(spec, event.detailType);
    if (def) {
      const key = getPath(detail, def.entity.keyField);
      if ((typeof key === 'string' && key.length > 0) || (typeof key === 'number' && Number.isFinite(key))) {
        const id = correlationFor(def.entity.type, String(key));
        if (CORRELATION_ID_PATTERN.test(id)) return id;
      }
    }
  }
  return UNCORRELATED_STREAM;
}

/** The business message id of an event, when it has one (service `metadata.eventId`, the legacy id field). */
export function messageIdOf(spec: Pick<Spec, 'bridge'>, event: BusEvent): string | undefined {
  const { detail } = event;
  if (isServiceEvent(detail)) return detail.metadata.eventId;
  if (!detail || typeof detail !== 'object' || event.detailType === undefined) return undefined;
  const def = legacyDef(spec, event.detailType);
  if (!def) return undefined;
  const id = getPath(detail, def.idField);
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function legacyDef(spec: Pick<Spec, 'bridge'>, detailType: string | undefined) {
  if (detailType === undefined || !Object.prototype.hasOwnProperty.call(spec.bridge.legacyEvents, detailType)) return undefined;
  return spec.bridge.legacyEvents[detailType];
}

/**
 * The business identity of an event and a digest of what it says, for spotting one id carrying two
 * different payloads (a monolith reusing a MSG_ID, a service reusing an event id). The digest covers the
 * business content only: a service event's `data` (the router's copies differ from the original only in
 * metadata), a legacy event's payload without the bridge's `_cutover` stamp. Undefined without a message id.
 */
export function identityOf(spec: Pick<Spec, 'bridge'>, event: BusEvent, bus: string): { key: string; digest: string } | undefined {
  const messageId = messageIdOf(spec, event);
  if (messageId === undefined) return undefined;
  const { detail } = event;
  let content: unknown = detail;
  if (isServiceEvent(detail)) content = detail.data;
  else if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
    const { [LEGACY_META_KEY]: _stamp, ...rest } = detail as Record<string, unknown>;
    void _stamp;
    content = rest;
  }
  let text: string;
  try {
    text = canonicalJson(content);
  } catch {
    text = String(content);
  }
  return { key: `${bus}:${event.detailType ?? ''}:${messageId}`, digest: sha256Hex(text) };
}
