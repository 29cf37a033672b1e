import { SchemaValidationError } from '../errors';
import { castPayload } from '../spec/cast';
import type { Spec } from '../spec/schema';
import { validatePayload } from '../spec/validate-payload';

/*
 * What starts a saga: the order (the payload of the spec's order event, any declared version, cast to the
 * latest), validated, and the execution named by the order id, so one order can never run two sagas.
 */

export interface SagaStart {
  /** The execution name: the order id. */
  readonly name: string;
  readonly input: { readonly order: Record<string, unknown> };
}

/** Execution names: 1-80 of letters, digits, - and _. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function prepareSagaStart(spec: Spec, order: unknown, version?: number): SagaStart {
  const saga = spec.saga;
  if (!saga) throw new SchemaValidationError('saga', ['the spec has no saga section']);
  const def = spec.bridge.serviceEvents[saga.orderEvent];
  if (!order || typeof order !== 'object' || Array.isArray(order)) {
    throw new SchemaValidationError(saga.orderEvent, [`order: expected an object, got ${JSON.stringify(order)}`]);
  }
  const from = version ?? def.latest;
  if (!def.versions[String(from)]) {
    throw new SchemaValidationError(saga.orderEvent, [
      `version: ${from} is not a version of ${saga.orderEvent} (known: ${Object.keys(def.versions).join(', ')})`,
    ]);
  }
  const latest = castPayload(saga.orderEvent, def, order as Record<string, unknown>, from, def.latest);
  const problems = validatePayload(def.versions[String(def.latest)].schema, latest);
  if (problems.length > 0) throw new SchemaValidationError(`${saga.orderEvent} v${def.latest}`, problems);
  const name = String(latest.orderId);
  if (!EXECUTION_NAME.test(name))
    throw new SchemaValidationError(saga.orderEvent, [
      `orderId: ${JSON.stringify(name)} cannot name an execution (1-80 of A-Z a-z 0-9 - _)`,
    ]);
  return { name, input: { order: latest } };
}
