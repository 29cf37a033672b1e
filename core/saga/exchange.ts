import { deterministicId, type EventMetadata, type ServiceEvent } from '../events/envelope';
import { getPath, setPath } from '../events/paths';
import type { FieldSchema, ObjectField } from '../spec/field-schema';
import type { Spec } from '../spec/schema';
import type { MonolithExchange, SagaSection } from '../spec/saga';
import { validatePayload } from '../spec/validate-payload';
import { InvalidStepInput } from './errors';
import { SAGA_EVENT_SOURCE } from './asl';
import { cancelReasonFor, COMPENSATION_OF, SAGA_STEPS, type AwaitedAction } from './steps';

/*
 * The saga's side of a monolith-owned step: the command it puts on the services bus (which a bridge
 * translation turns into the legacy command), and how a translated reply maps back to the awaited action.
 */

/** What a command's `data` mapping can read. */
export interface CommandContext {
  readonly order: Record<string, unknown>;
  readonly correlationId: string;
  /** The run of the saga (orderId + start time): commands of one run keep their ids across resends. */
  readonly sagaId: string;
  readonly now: Date;
  /** Set for compensations: the error that stopped the saga and the action that raised it. */
  readonly failure?: { readonly Error?: string; readonly Cause?: string };
  readonly failedStep?: string;
}

/** Keeps only the fields a schema declares (recursively): `order.lines` becomes a list of `{sku, quantity}`. */
export function projectToSchema(value: unknown, schema: FieldSchema): unknown {
  if (value === null || value === undefined) return value;
  if (schema.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    if (schema.additional) return value;
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(schema.fields)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = projectToSchema(v, f);
    }
    return out;
  }
  if (schema.type === 'array' && Array.isArray(value)) return value.map((v) => projectToSchema(v, schema.items));
  return value;
}

function contextValue(path: string, ctx: CommandContext): unknown {
  // Whole seconds: the legacy timestamp format has no fractions.
  if (path === 'now') return ctx.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (path === 'correlationId') return ctx.correlationId;
  if (path === 'reason') return cancelReasonFor(ctx.failure?.Error, ctx.failedStep);
  if (path === 'failure.step') return ctx.failedStep;
  if (path.startsWith('failure.')) return getPath(ctx.failure ?? {}, path.slice('failure.'.length));
  return getPath({ order: ctx.order }, path);
}

/**
 * Builds the command event for one exchange. The event id depends only on the saga run and the action, so
 * a resend (after a reply timeout) carries the same id and the monolith's message id stays the same.
 * Throws `InvalidStepInput` naming each field when the payload does not fit the command's schema.
 */
export function buildCommand(
  spec: Spec,
  exchange: MonolithExchange,
  action: AwaitedAction,
  ctx: CommandContext,
): { detailType: string; detail: ServiceEvent } {
  const def = spec.bridge.serviceEvents[exchange.command];
  if (!def) throw new InvalidStepInput(`command ${exchange.command} is not a service event of the spec`, { command: exchange.command });
  const schema: ObjectField = def.versions[String(def.latest)].schema;
  const data: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(exchange.data)) {
    const fieldSchema = schema.fields[field];
    const value = contextValue(path, ctx);
    if (value !== undefined) setPath(data, field, fieldSchema ? projectToSchema(value, fieldSchema) : value);
  }
  const problems = validatePayload(schema, data);
  if (problems.length > 0) {
    throw new InvalidStepInput(`${exchange.command} for ${action}: ${problems.join('; ')}`, {
      command: exchange.command,
      action,
      problems,
    });
  }
  const orderId = String(ctx.order.orderId);
  const metadata: EventMetadata = {
    eventId: deterministicId('saga-command', ctx.sagaId, action, exchange.command),
    eventType: exchange.command,
    version: def.latest,
    correlationId: ctx.correlationId,
    causationId: ctx.sagaId,
    origin: 'service',
    producer: SAGA_EVENT_SOURCE,
    occurredAt: ctx.now.toISOString(),
    entity: { type: def.entity.type, key: orderId },
  };
  return { detailType: exchange.command, detail: { metadata, data } };
}

/** How a reply event settles an awaited action. */
export interface ReplyRoute {
  readonly action: AwaitedAction;
  readonly outcome: 'success' | 'failure';
  /** For failures: the business error the saga catches. */
  readonly error?: string;
}

/**
 * Every monolith reply the saga may be waiting for, by service event type: the replies of every declared
 * exchange, whoever owns the step today, so sagas started before an owner switch still complete.
 */
export function replyRoutes(section: SagaSection): Map<string, ReplyRoute> {
  const routes = new Map<string, ReplyRoute>();
  const add = (type: string, route: ReplyRoute) => {
    if (!routes.has(type)) routes.set(type, route);
  };
  for (const step of SAGA_STEPS) {
    const m = section.steps[step].monolith;
    if (!m) continue;
    const pairs: Array<[AwaitedAction, MonolithExchange]> = [
      [step, m.forward],
      [COMPENSATION_OF[step], m.compensation],
    ];
    for (const [action, ex] of pairs) {
      for (const t of ex.success) add(t, { action, outcome: 'success' });
      for (const [t, error] of Object.entries(ex.failure)) add(t, { action, outcome: 'failure', error });
    }
  }
  return routes;
}

/**
 * The carrier's answers to ScheduleShipping. The shipping service handles them itself: it records the
 * dispatch first and completes the saga's task after, so a compensation that follows always sees the
 * parcel gone and never cancels (or releases the stock of) a shipment that left.
 */
export function carrierRoutes(section: SagaSection): Map<string, ReplyRoute> {
  const routes = new Map<string, ReplyRoute>();
  for (const t of section.shipping.confirmedBy) routes.set(t, { action: 'ScheduleShipping', outcome: 'success' });
  for (const [t, error] of Object.entries(section.shipping.rejectedBy))
    routes.set(t, { action: 'ScheduleShipping', outcome: 'failure', error });
  return routes;
}

/** The order a reply is about: the envelope's entity key when it is an order, else `data.orderId`. */
export function orderIdOfReply(event: ServiceEvent): string | undefined {
  const entity = event.metadata?.entity;
  if (entity?.type === 'order' && typeof entity.key === 'string' && entity.key !== '') return entity.key;
  const fromData = (event.data as Record<string, unknown> | undefined)?.orderId;
  return typeof fromData === 'string' && fromData !== '' ? fromData : undefined;
}
