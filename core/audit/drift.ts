import type { AuditEntry, AuditRecord } from './chain';

/*
 * Schema drift, recorded in the audit log: every event carrying fields its schema does not declare adds one
 * `drift` entry to the stream `drift:<event type>` (idempotent per EventBridge id), whatever the type's
 * policy did with the event. `cutover spec drift` folds those entries into one row per type and field.
 */
export const DRIFT_STREAM_PREFIX = 'drift:';

export function driftStreamFor(eventType: string): string {
  return `${DRIFT_STREAM_PREFIX}${eventType}`;
}

/** What one drift entry's payload says. */
export interface DriftNote {
  readonly eventType: string;
  readonly fields: readonly string[];
  readonly policy: string;
}

export function driftRecord(
  note: DriftNote,
  event: { eventBridgeId: string; bus: string; source?: string; detailType?: string; eventTime?: string; messageId?: string },
): AuditRecord {
  return {
    kind: 'drift',
    eventId: `drift:${event.eventBridgeId}`,
    messageId: event.messageId,
    bus: event.bus,
    source: event.source,
    detailType: event.detailType,
    eventTime: event.eventTime,
    payload: JSON.stringify({ eventType: note.eventType, fields: note.fields, policy: note.policy }),
  };
}

/** One unknown field of one event type, as the log saw it. */
export interface DriftRow {
  readonly eventType: string;
  readonly field: string;
  /** The policy in force when it was last seen. */
  readonly policy: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
}

/** Folds drift entries into rows ordered by type then field. Entries of other kinds are skipped. */
export function summariseDrift(entries: Iterable<Pick<AuditEntry, 'kind' | 'payload' | 'recordedAt' | 'eventTime'>>): DriftRow[] {
  const rows = new Map<string, { eventType: string; field: string; policy: string; firstSeen: string; lastSeen: string; count: number }>();
  for (const entry of entries) {
    if (entry.kind !== 'drift') continue;
    let note: DriftNote;
    try {
      note = JSON.parse(entry.payload) as DriftNote;
    } catch {
      continue;
    }
    const seen = entry.eventTime ?? entry.recordedAt;
    for (const field of note.fields ?? []) {
      const k = `${note.eventType}\u0000${field}`;
      const row = rows.get(k);
      if (!row) rows.set(k, { eventType: note.eventType, field, policy: note.policy, firstSeen: seen, lastSeen: seen, count: 1 });
      else {
        row.count += 1;
        if (seen < row.firstSeen) row.firstSeen = seen;
        if (seen >= row.lastSeen) {
          row.lastSeen = seen;
          row.policy = note.policy;
        }
      }
    }
  }
  return [...rows.values()].sort((a, b) =>
    a.eventType === b.eventType ? a.field.localeCompare(b.field) : a.eventType.localeCompare(b.eventType),
  );
}
