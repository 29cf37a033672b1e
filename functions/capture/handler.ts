import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deterministicId, LEGACY_META_KEY, type LegacyMeta } from '../../core/events/envelope';
import { getPath } from '../../core/events/paths';
import { canonicalJson } from '../../core/compare';
import { captureExpiresAt, maskPii } from '../../core/replay';
import type { Spec } from '../../core/spec';
import { captureSettingsFor } from '../../core/spec/capture';
import { correlationFor, Translator } from '../../core/translate/translator';
import { toIncoming } from '../../core/translate/incoming';
import { CapturedStore, type CaptureWrite } from '../../adapters/dynamodb/captured-store';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { loadSpec } from '../shared/spec';
import { replayMarkOf } from '../../core/replay/shadow-event';
import { ConfigurationError } from '../../core/errors';

/*
 * Capture, off the live path: SQS queues fed by EventBridge rules, so a slow or failing capture never
 * holds up the bus, and a failing record is retried by SQS and then kept in the queue's dead-letter queue.
 *
 * Two kinds of record arrive:
 *  - a monolith event from the legacy bus (the capture rule matches the types the spec's `capture` section
 *    lists): masked (PII per the spec), given a TTL, and stored as an input (keyed by its entity) and/or an
 *    outcome (keyed by its correlationId, translated to the service model so compare sees like with like);
 *  - an outcome a replay target emitted on the shadow bus (`detail.metadata.replay` set): stored with the
 *    replay's other results, for the compare step.
 * Env: CAPTURED_TABLE_NAME, REPORT_TABLE_NAME (for replay outcomes), CAPTURE_PII_SALT (optional secret
 * mixed into PII hashes).
 */
export type CaptureResult = 'captured' | 'duplicate' | 'not-captured' | 'collected';

export interface CapturerDeps {
  readonly spec: Spec;
  readonly store: CapturedStore;
  readonly reports?: ReportStore;
  /** Secret mixed into masked values' hashes. @default '' */
  readonly salt?: string;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

export interface BatchResult extends SQSBatchResponse {
  readonly results: Record<CaptureResult, number>;
}

export class Capturer {
  private readonly translator: Translator;
  private readonly logger: Logger;
  private readonly now: () => Date;

  public constructor(private readonly deps: CapturerDeps) {
    this.translator = new Translator(deps.spec);
    this.logger = deps.logger ?? new Logger('capture');
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * An SQS batch, through Powertools' BatchProcessor: each record on its own, in order; a failed one is
   * reported in `batchItemFailures` so only it is retried (the event source mapping has
   * ReportBatchItemFailures). A batch that fails whole is reported too, not thrown: the same retry, and the
   * counts still come back.
   */
  public async handleBatch(event: SQSEvent): Promise<BatchResult> {
    const results: Record<CaptureResult, number> = { captured: 0, duplicate: 0, 'not-captured': 0, collected: 0 };
    const record = async (r: SQSRecord): Promise<void> => {
      try {
        let body: unknown;
        try {
          body = JSON.parse(r.body);
        } catch (cause) {
          throw new Error(`SQS message ${r.messageId} is not JSON: ${(cause as Error).message}`);
        }
        const sent = Number(r.attributes?.SentTimestamp);
        results[await this.handleEvent(body, Number.isFinite(sent) && sent > 0 ? sent : undefined)] += 1;
      } catch (err) {
        this.logger.error('capture failed; SQS retries the record, then keeps it in the dead-letter queue', {
          messageId: r.messageId,
          error: err,
        });
        throw err;
      }
    };
    const response = await processPartialResponse(event, record, new BatchProcessor(EventType.SQS), {
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
    return { batchItemFailures: response.batchItemFailures, results };
  }

  /**
   * One EventBridge event. `receivedAtMs` is when the bus handed it over (SQS SentTimestamp): one clock,
   * millisecond precision, so an entity's inputs keep their order (EventBridge's own `time` has whole seconds).
   */
  public async handleEvent(raw: unknown, receivedAtMs?: number): Promise<CaptureResult> {
    const e = toIncoming(raw);
    const mark = replayMarkOf(e.detail);
    if (mark) return this.collect(e, mark);
    const writes = this.writesFor(raw, receivedAtMs);
    if (writes.length === 0) return 'not-captured';
    let stored = false;
    for (const w of writes) if ((await this.deps.store.put(w)) === 'stored') stored = true;
    this.logger.debug('captured', {
      type: e.detailType,
      eventId: writes[0].eventId,
      correlationId: writes[0].correlationId,
      roles: writes.map((w) => w.role),
      stored,
    });
    return stored ? 'captured' : 'duplicate';
  }

  /**
   * What capturing a monolith event writes (nothing when it is not captured): masked, with its TTL, as an
   * input and/or an outcome. Pure apart from the clock; `handleEvent` stores the result.
   */
  public writesFor(raw: unknown, receivedAtMs?: number): CaptureWrite[] {
    const e = toIncoming(raw);
    const type = e.detailType;
    const detail = e.detail;
    if (!type || !detail || typeof detail !== 'object' || Array.isArray(detail)) {
      this.logger.warn('not captured: not an event with a detail-type and an object detail', { id: e.id });
      return [];
    }
    const spec = this.deps.spec;
    const def = spec.bridge.legacyEvents[type];
    const settings = captureSettingsFor(spec.capture, type, def?.entity);
    if (!settings.capture) return [];
    const payload = detail as Record<string, unknown>;
    const meta = payload[LEGACY_META_KEY] as LegacyMeta | undefined;
    // The bridge's own translations of service events are not the monolith's doing.
    if (meta?.origin === 'service') return [];

    const eventTimeMs = e.time ? Date.parse(e.time) : NaN;
    const capturedAtMs = receivedAtMs ?? (Number.isFinite(eventTimeMs) ? eventTimeMs : this.now().getTime());
    const capturedAt = new Date(capturedAtMs).toISOString();
    const eventId = e.id ?? deterministicId('capture', type, canonicalJson(detail));
    const masked = maskPii(payload, settings.pii, { salt: this.deps.salt ?? '' }) as Record<string, unknown>;
    const expiresAt = captureExpiresAt(capturedAtMs, settings.retentionDays);
    const rawKey = settings.entity ? getPath(payload, settings.entity.keyField) : undefined;
    const key =
      typeof rawKey === 'string' && rawKey.length > 0
        ? rawKey
        : typeof rawKey === 'number' && Number.isFinite(rawKey)
          ? String(rawKey)
          : undefined;
    const entity = settings.entity && key !== undefined ? { type: settings.entity.type, key } : undefined;
    const correlationId = meta?.correlationId ?? (entity ? correlationFor(entity.type, entity.key) : undefined);

    const writes: CaptureWrite[] = [];
    if (settings.role === 'input' || settings.role === 'both') {
      if (!entity || !correlationId) {
        this.logger.warn('input not captured: no entity key to order it by (the bridge quarantines such an event)', {
          type,
          eventId,
          keyField: settings.entity?.keyField,
        });
      } else {
        writes.push({
          role: 'input',
          eventId,
          correlationId,
          capturedAt,
          entity,
          event: { type, payload: masked },
          sourceType: type,
          expiresAt,
        });
      }
    }
    if (settings.role === 'outcome' || settings.role === 'both') {
      // The translator refuses a payload carrying the bridge's stamp (only the bridge may write it); the
      // stamp was read above, so translate the monolith's own fields.
      const { [LEGACY_META_KEY]: _stamp, ...unstamped } = masked;
      void _stamp;
      const t = this.translator.toService(type, unstamped, { now: new Date(capturedAtMs), transportId: eventId });
      if (t.status === 'translated') {
        writes.push({
          role: 'outcome',
          eventId,
          correlationId: meta?.correlationId ?? t.correlationId,
          capturedAt,
          event: { type: t.detailType, version: t.detail.metadata.version, payload: t.detail.data },
          sourceType: type,
          expiresAt,
        });
      } else if (correlationId) {
        // Kept in the legacy model with the reason: the report then shows it instead of losing it.
        const problems =
          t.status === 'quarantine' ? [`${t.reason}: ${t.problems.join('; ')}`] : ['ignored: translated from a service event'];
        writes.push({
          role: 'outcome',
          eventId,
          correlationId,
          capturedAt,
          event: { type, payload: masked },
          sourceType: type,
          expiresAt,
          problems,
        });
        this.logger.warn('outcome kept untranslated', { type, eventId, problems });
      } else {
        this.logger.warn('outcome not captured: no correlation id and no entity key to link it by', { type, eventId });
      }
    }
    return writes;
  }

  private async collect(e: ReturnType<typeof toIncoming>, mark: NonNullable<ReturnType<typeof replayMarkOf>>): Promise<CaptureResult> {
    if (!this.deps.reports)
      throw new ConfigurationError('a replay outcome arrived but REPORT_TABLE_NAME is not set', { setting: 'REPORT_TABLE_NAME' });
    const detail = e.detail as { metadata?: { eventId?: unknown; version?: unknown; eventType?: unknown }; data?: unknown };
    const type = e.detailType ?? (typeof detail.metadata?.eventType === 'string' ? detail.metadata.eventType : undefined);
    if (!type) throw new Error(`replay outcome ${e.id ?? '?'} of ${mark.replayId} has no detail-type`);
    const eventId =
      typeof detail.metadata?.eventId === 'string' ? detail.metadata.eventId : (e.id ?? deterministicId('outcome', canonicalJson(detail)));
    const version = typeof detail.metadata?.version === 'number' ? detail.metadata.version : undefined;
    const status = await this.deps.reports.putActual(mark.replayId, {
      interactionId: mark.interactionId,
      eventId,
      event: { type, ...(version !== undefined ? { version } : {}), payload: detail.data ?? null },
      receivedAt: this.now().toISOString(),
    });
    return status === 'stored' ? 'collected' : 'duplicate';
  }
}

let instance: Capturer | undefined;

export async function handler(event: SQSEvent | EventBridgeEvent<string, unknown>): Promise<BatchResult | CaptureResult> {
  if (!instance) {
    const reportTable = optionalEnv('REPORT_TABLE_NAME', '');
    const salt = optionalEnv('CAPTURE_PII_SALT', '');
    instance = new Capturer({
      spec: loadSpec(),
      store: new CapturedStore({ tableName: requireEnv('CAPTURED_TABLE_NAME') }),
      ...(reportTable ? { reports: new ReportStore({ tableName: reportTable }) } : {}),
      salt,
    });
  }
  if (Array.isArray((event as Partial<SQSEvent> | null)?.Records)) return instance.handleBatch(event as SQSEvent);
  // Direct invocation with one EventBridge event (a rule target without the queue, or a test).
  return instance.handleEvent(event);
}

/** For tests: drop the cached instance so the next call reads the environment again. */
export function resetCaptureHandler(): void {
  instance = undefined;
}
