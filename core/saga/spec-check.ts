import type { FieldSchema, ObjectField } from '../spec/field-schema';
import type { Spec } from '../spec/schema';
import type { MonolithExchange } from '../spec/saga';
import { COMPENSATION_OF, SAGA_STEPS, SERVICE_OF } from './steps';

/*
 * Cross-section rules of the saga section, checked by `parseSpec` (registered in core/saga/index.ts): the
 * commands and replies exist in the bridge's catalog with translations in the right direction, command
 * payloads can be built from the order, and no reply settles two different actions.
 */

function fieldAt(schema: ObjectField, path: string): FieldSchema | undefined {
  let cur: FieldSchema | undefined = schema;
  for (const part of path.split('.')) {
    if (!cur) return undefined;
    if (cur.type === 'array') cur = cur.items;
    if (cur.type !== 'object') return undefined;
    cur = cur.fields[part];
  }
  return cur;
}

export function checkSagaSection(spec: Spec): string[] {
  const saga = spec.saga;
  if (!saga) return [];
  const problems: string[] = [];
  const { serviceEvents, translations } = spec.bridge;
  const orderDef = serviceEvents[saga.orderEvent];
  let orderSchema: ObjectField | undefined;
  if (!orderDef) {
    problems.push(`saga.orderEvent: ${JSON.stringify(saga.orderEvent)} is not declared in bridge.serviceEvents`);
  } else {
    orderSchema = orderDef.versions[String(orderDef.latest)]?.schema;
    if (orderDef.entity.type !== 'order')
      problems.push(`saga.orderEvent: ${saga.orderEvent} is about "${orderDef.entity.type}", not an order`);
    for (const required of ['orderId', 'customerId']) {
      if (orderSchema && !orderSchema.fields[required])
        problems.push(`saga.orderEvent: ${saga.orderEvent} v${orderDef.latest} has no ${required} field, which the saga keys on`);
    }
  }
  const toLegacy = new Set(translations.filter((t) => (t.direction ?? 'both') !== 'toService').map((t) => t.service));
  const toService = new Set(translations.filter((t) => (t.direction ?? 'both') !== 'toLegacy').map((t) => t.service));
  const claimed = new Map<string, string>();
  const claim = (type: string, by: string, at: string) => {
    const prior = claimed.get(type);
    if (prior && prior !== by) problems.push(`${at}: ${type} already settles ${prior}; one reply can settle only one action`);
    claimed.set(type, by);
  };
  const checkReply = (type: string, at: string, fromMonolith: boolean) => {
    const def = serviceEvents[type];
    if (!def) {
      problems.push(`${at}: ${JSON.stringify(type)} is not declared in bridge.serviceEvents`);
      return;
    }
    if (def.entity.type !== 'order')
      problems.push(`${at}: ${type} is about "${def.entity.type}"; a reply must be about the order (its entity key is the order id)`);
    if (fromMonolith && !toService.has(type))
      problems.push(`${at}: ${type} has no translation from a legacy event, so the monolith's reply can never arrive`);
  };
  const checkExchange = (ex: MonolithExchange, action: string, at: string) => {
    const def = serviceEvents[ex.command];
    if (!def) {
      problems.push(`${at}.command: ${JSON.stringify(ex.command)} is not declared in bridge.serviceEvents`);
    } else {
      if (!toLegacy.has(ex.command))
        problems.push(`${at}.command: ${ex.command} has no translation to a legacy event, so the monolith would never hear it`);
      const schema = def.versions[String(def.latest)].schema;
      for (const field of Object.keys(ex.data)) {
        if (!schema.fields[field]) problems.push(`${at}.data.${field}: not a field of ${ex.command} v${def.latest}`);
      }
      for (const [field, f] of Object.entries(schema.fields)) {
        if (f.required !== false && ex.data[field] === undefined)
          problems.push(`${at}.data: ${ex.command} requires ${field}; map it from the saga context`);
      }
      for (const [field, path] of Object.entries(ex.data)) {
        if (path.startsWith('order.') && orderSchema && !fieldAt(orderSchema, path.slice('order.'.length))) {
          problems.push(`${at}.data.${field}: ${JSON.stringify(path)} is not a field of ${saga.orderEvent}`);
        }
      }
    }
    ex.success.forEach((t, i) => {
      checkReply(t, `${at}.success[${i}]`, true);
      claim(t, action, `${at}.success[${i}]`);
    });
    for (const t of Object.keys(ex.failure)) {
      checkReply(t, `${at}.failure.${t}`, true);
      claim(t, action, `${at}.failure.${t}`);
    }
  };
  for (const step of SAGA_STEPS) {
    const m = saga.steps[step].monolith;
    if (!m) continue;
    checkExchange(m.forward, step, `saga.steps.${step}.monolith.forward`);
    checkExchange(m.compensation, COMPENSATION_OF[step], `saga.steps.${step}.monolith.compensation`);
  }
  problems.push(...checkRoutedSteps(spec, orderSchema));
  saga.shipping.confirmedBy.forEach((t, i) => {
    checkReply(t, `saga.shipping.confirmedBy[${i}]`, false);
    claim(t, 'ScheduleShipping', `saga.shipping.confirmedBy[${i}]`);
  });
  for (const t of Object.keys(saga.shipping.rejectedBy)) {
    checkReply(t, `saga.shipping.rejectedBy.${t}`, false);
    claim(t, 'ScheduleShipping', `saga.shipping.rejectedBy.${t}`);
  }
  return problems;
}

/**
 * A routed step names a capability of the routing section and a sticky key the order carries, under the
 * capability's stickyKey name: the saga and the router must put one order in the same bucket, or the saga
 * could pay through the service while the router sends the same order's events to the monolith.
 */
function checkRoutedSteps(spec: Spec, orderSchema: ObjectField | undefined): string[] {
  const saga = spec.saga!;
  const problems: string[] = [];
  for (const step of SAGA_STEPS) {
    const cfg = saga.steps[step];
    if (cfg.owner !== 'routed') continue;
    const at = `saga.steps.${step}.route`;
    const capability = cfg.route?.capability ?? SERVICE_OF[step];
    const keyField = cfg.route?.keyField ?? 'orderId';
    const capabilities = spec.routing?.capabilities ?? {};
    const cap = capabilities[capability];
    if (!cap) {
      const known = Object.keys(capabilities);
      problems.push(
        `${at}.capability: ${JSON.stringify(capability)} is not a capability of the routing section (${known.length > 0 ? `known: ${known.join(', ')}` : 'the spec has no routing section'})`,
      );
      continue;
    }
    if (orderSchema && !fieldAt(orderSchema, keyField))
      problems.push(
        `${at}.keyField: ${JSON.stringify(keyField)} is not a field of ${saga.orderEvent}, so no order would carry a sticky key`,
      );
    const name = keyField.split('.').at(-1);
    if (name !== cap.stickyKey)
      problems.push(
        `${at}.keyField: ${JSON.stringify(keyField)} is not the sticky key of ${capability} (${JSON.stringify(cap.stickyKey)}); the saga and the router would bucket one order differently`,
      );
  }
  return problems;
}
