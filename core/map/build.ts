import type { RouteMode } from '../routing/model';
import { impliedPercent } from '../routing/model';
import { buildSagaDefinition } from '../saga/asl';
import { buildSagaPlan, type CompensationAction, type ForwardAction, type SagaPlan } from '../saga/plan';
import { SERVICE_OF } from '../saga/steps';
import type { Spec } from '../spec/schema';
import { appView, readableId, type AppFacts } from './app';
import { criticalPathsOf, type ObservedHops } from './critical-path';
import type {
  DataEntityNode,
  Flow,
  Ownership,
  RoutingView,
  SagaActionNode,
  SagaView,
  ServiceNode,
  Side,
  TransactionMap,
  WaitView,
} from './model';
import { findRisks, type Consumer, type DefinitionUnderTest } from './risks';
import { syncLinksOf } from './sync-view';

export interface BuildMapOptions {
  /** Facts read from the synthesized app (cdk.out); without them the map is the spec's alone. */
  readonly app?: AppFacts;
  /** Live routing entries by capability (the routing table); without them the spec's seeds are used. */
  readonly routes?: Readonly<Record<string, { readonly mode: RouteMode; readonly percent: number }>>;
  /** Measured step durations from the audit log (`--observed`). */
  readonly observed?: ObservedHops;
}

const LIVE_MODES: readonly RouteMode[] = ['canary', 'primary', 'retired'];

/** Entity and table names match services loosely: `payments` is the `payment` service's, `stock` is not. */
function norm(name: string): string {
  return name.toLowerCase().replace(/s$/, '');
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort();
}

/** Builds the transaction-boundary map. Pure: every input is passed in. */
export function buildTransactionMap(spec: Spec, options: BuildMapOptions = {}): TransactionMap {
  const { bridge } = spec;
  const plan = spec.saga ? buildSagaPlan(spec.saga) : undefined;
  const routingCaps = spec.routing?.capabilities ?? {};

  // --- routing, live table first
  const routingOf = new Map<string, RoutingView>();
  for (const [name, cap] of Object.entries(routingCaps)) {
    const live = options.routes?.[name];
    const mode = live?.mode ?? cap.initial.mode;
    const percent = live?.percent ?? cap.initial.percent ?? impliedPercent(cap.initial.mode) ?? 0;
    routingOf.set(name, {
      mode,
      percent,
      source: live ? 'routing-table' : 'spec',
      candidate: cap.candidate,
      targets: [cap.legacy.target, ...Object.values(cap.implementations).map((i) => i.target)],
    });
  }

  // --- services
  const serviceNames = sorted([
    ...(plan ? Object.values(SERVICE_OF) : []),
    ...Object.keys(routingCaps),
    ...Object.values(bridge.serviceEvents).map((e) => e.owner),
  ]);
  const translatedToService = new Map(bridge.translations.filter((t) => (t.direction ?? 'both') !== 'toLegacy').map((t) => [t.service, t]));
  const stepsOf = (service: string) =>
    plan
      ? Object.entries(SERVICE_OF)
          .filter(([, s]) => s === service)
          .map(([step]) => ({ step, owner: plan.owners[step as keyof typeof plan.owners] as Side }))
      : [];
  // An entity belongs to the service named like it (`payments` -> payment), else to the owner of the events
  // named after it (`shipments` -> shipment.dispatched -> shipping), else to the service named like its table.
  const eventOwner = (name: string) => Object.entries(bridge.serviceEvents).find(([t]) => norm(t.split('.')[0]) === norm(name))?.[1].owner;
  const entityService = (name: string, table: string): string | undefined =>
    serviceNames.find((s) => norm(s) === norm(name)) ?? eventOwner(name) ?? serviceNames.find((s) => norm(s) === norm(table));
  const migrationEntities = Object.entries(spec.migration?.entities ?? {});

  const services: ServiceNode[] = serviceNames.map((name) => {
    const routing = routingOf.get(name);
    const sagaSteps = stepsOf(name);
    const emits = sorted(
      Object.entries(bridge.serviceEvents)
        .filter(([, e]) => e.owner === name)
        .map(([t]) => t),
    );
    let owner: Ownership;
    let ownerWhy: string;
    if (routing) {
      owner = routing.mode === 'canary' ? 'split' : LIVE_MODES.includes(routing.mode) ? 'service' : 'monolith';
      ownerWhy = `routing.capabilities.${name} is in ${routing.mode} mode${routing.mode === 'canary' ? ` at ${routing.percent}%` : ''} (${routing.source === 'spec' ? "the spec's seed" : 'the routing table'})`;
    } else if (sagaSteps.length > 0) {
      const sides = new Set(sagaSteps.map((s) => s.owner));
      owner = sides.size > 1 ? 'split' : [...sides][0];
      ownerWhy = `saga step${sagaSteps.length > 1 ? 's' : ''} ${sagaSteps.map((s) => `${s.step} (${s.owner})`).join(', ')}`;
    } else if (emits.some((t) => translatedToService.has(t))) {
      owner = 'monolith';
      ownerWhy = `the monolith still produces ${emits.filter((t) => translatedToService.has(t)).join(', ')}`;
    } else {
      owner = 'service';
      ownerWhy = 'emits its own events; nothing routes it';
    }
    return {
      name,
      owner,
      ownerWhy,
      routing,
      sagaSteps,
      emits,
      consumes: sorted(Object.keys(routingCaps[name]?.events ?? {})),
      entities: migrationEntities.filter(([e, def]) => entityService(e, def.target.table) === name).map(([e]) => e),
    };
  });
  const serviceByName = new Map(services.map((s) => [s.name, s]));

  // --- flows
  const flows: Flow[] = [];
  const exchangeCommands = new Map<string, string>();
  const exchangeReplies = new Map<string, string>();
  // Commands of steps the service performs are kept in the spec for switching back; nobody sends them now.
  const standbyCommands = new Set<string>();
  if (spec.saga) {
    for (const [step, cfg] of Object.entries(spec.saga.steps)) {
      if (cfg.owner !== 'monolith' && cfg.monolith) {
        standbyCommands.add(cfg.monolith.forward.command);
        standbyCommands.add(cfg.monolith.compensation.command);
      }
      if (cfg.owner !== 'monolith' || !cfg.monolith) continue;
      for (const which of ['forward', 'compensation'] as const) {
        const ex = cfg.monolith[which];
        exchangeCommands.set(ex.command, `saga.steps.${step}.monolith.${which}.command`);
        for (const r of [...ex.success, ...Object.keys(ex.failure)]) exchangeReplies.set(r, `saga.steps.${step}.monolith.${which}`);
      }
    }
  }
  bridge.translations.forEach((t, i) => {
    const translation = {
      legacy: t.legacy,
      service: t.service,
      serviceVersion: t.serviceVersion,
      direction: t.direction ?? 'both',
    } as const;
    const where = `bridge.translations[${i}]`;
    if (translation.direction !== 'toLegacy') {
      const reply = exchangeReplies.get(t.service);
      flows.push({
        kind: reply ? 'reply' : 'event',
        from: 'monolith',
        to: reply ? 'saga' : 'bridge',
        eventType: t.legacy,
        bus: 'legacy',
        translation,
        where,
      });
    }
    if (translation.direction !== 'toService' && !(standbyCommands.has(t.service) && !exchangeCommands.has(t.service))) {
      const command = exchangeCommands.get(t.service);
      const owner = bridge.serviceEvents[t.service]?.owner;
      flows.push({
        kind: command ? 'command' : 'service-event',
        from: command ? 'saga' : `svc:${owner}`,
        to: 'monolith',
        eventType: t.service,
        bus: 'services',
        translation,
        where: command ?? where,
      });
    }
  });
  for (const [type, def] of Object.entries(bridge.serviceEvents)) {
    if (translatedToService.has(type) || exchangeCommands.has(type) || standbyCommands.has(type)) continue;
    if (bridge.translations.some((t) => t.service === type)) continue;
    flows.push({
      kind: 'service-event',
      from: `svc:${def.owner}`,
      to: 'bridge',
      eventType: type,
      bus: 'services',
      where: `bridge.serviceEvents.${type}`,
    });
  }
  for (const [name, cap] of Object.entries(routingCaps)) {
    const mode = routingOf.get(name)!.mode;
    for (const type of Object.keys(cap.events)) {
      const where = `routing.capabilities.${name}.events.${type}`;
      if (mode !== 'retired') flows.push({ kind: 'routed', from: 'router', to: 'monolith', eventType: type, bus: 'services', where });
      if (mode !== 'legacy') flows.push({ kind: 'routed', from: 'router', to: `svc:${name}`, eventType: type, bus: 'services', where });
    }
  }
  if (spec.saga && plan) {
    if (spec.saga.autoStart)
      flows.push({
        kind: 'consumed',
        from: 'bridge',
        to: 'saga',
        eventType: spec.saga.orderEvent,
        bus: 'services',
        where: 'saga.orderEvent',
      });
    for (const type of [...spec.saga.shipping.confirmedBy, ...Object.keys(spec.saga.shipping.rejectedBy)]) {
      flows.push({ kind: 'consumed', from: 'bridge', to: 'saga', eventType: type, bus: 'services', where: 'saga.shipping' });
    }
    for (const a of [...plan.forward, ...plan.compensations]) {
      if (a.owner === 'service')
        flows.push({ kind: 'call', from: 'saga', to: `svc:${a.service}`, eventType: a.id, bus: 'services', where: `saga.steps.${a.step}` });
    }
  }

  // --- data entities and who writes them
  const syncLinks = syncLinksOf(spec);
  const entities: DataEntityNode[] = migrationEntities.map(([name, def]) => {
    const service = entityService(name, def.target.table);
    const node = service ? serviceByName.get(service) : undefined;
    const writers: Array<{ side: Side; why: string }> = [];
    const sync = syncLinks?.find((l) => l.entity === name);
    if (!node) {
      writers.push({ side: 'monolith', why: 'no service claims it: the monolith keeps writing it' });
      return { name, sourceTable: def.source.table, targetTable: def.target.table, owner: 'monolith', writers, sync };
    }
    const produced = node.emits.filter((t) => translatedToService.has(t));
    if (node.routing && node.routing.mode !== 'retired' && node.routing.mode !== 'primary') {
      writers.push({
        side: 'monolith',
        why: `routing.capabilities.${node.name} is in ${node.routing.mode} mode: the monolith handles its events`,
      });
    } else if (produced.length > 0 && node.routing?.mode !== 'retired') {
      writers.push({
        side: 'monolith',
        why: `the monolith emits ${produced.map((t) => translatedToService.get(t)!.legacy).join(', ')}, translated to ${produced.join(', ')} which ${node.name} owns`,
      });
    }
    const monoSteps = node.sagaSteps.filter((s) => s.owner === 'monolith');
    if (monoSteps.length > 0) {
      writers.push({ side: 'monolith', why: `saga.steps.${monoSteps[0].step} is owned by the monolith` });
    }
    const svcSteps = node.sagaSteps.filter((s) => s.owner === 'service');
    if (node.routing && LIVE_MODES.includes(node.routing.mode)) {
      writers.push({
        side: 'service',
        why: `routing.capabilities.${node.name} is in ${node.routing.mode} mode: ${node.name} handles its events`,
      });
    } else if (svcSteps.length > 0) {
      writers.push({ side: 'service', why: `saga.steps.${svcSteps[0].step} is owned by the service (${node.name} performs it)` });
    }
    return { name, sourceTable: def.source.table, targetTable: def.target.table, service, owner: node.owner, writers, sync };
  });

  // --- the saga
  let saga: SagaView | undefined;
  let definition: DefinitionUnderTest | undefined;
  if (spec.saga && plan) {
    const fromApp = options.app?.stateMachines.find((m) => m.definition?.States && plan.forward.every((a) => m.definition!.States![a.id]));
    definition = fromApp
      ? { states: fromApp.definition!.States!, where: `${fromApp.stack}/${readableId(fromApp.id)}` }
      : { states: buildSagaDefinition(plan).States as Record<string, Record<string, unknown>>, where: `saga (built from the spec)` };
    saga = {
      name: spec.saga.name,
      orderEvent: spec.saga.orderEvent,
      autoStart: spec.saga.autoStart,
      forward: plan.forward.map((a) => actionNode(spec, plan, a, 'forward')),
      compensations: plan.compensations.map((a) => actionNode(spec, plan, a, 'compensation')),
      definitionFrom: fromApp ? 'app' : 'spec',
    };
  }

  // --- who consumes what (for the translation/schema rule)
  const consumers: Consumer[] = [];
  for (const [name, cap] of Object.entries(routingCaps)) {
    for (const type of Object.keys(cap.events))
      consumers.push({ eventType: type, bus: 'services', who: `capability ${name}`, where: `routing.capabilities.${name}.events.${type}` });
  }
  if (spec.saga) {
    consumers.push({ eventType: spec.saga.orderEvent, bus: 'services', who: 'the saga (start)', where: 'saga.orderEvent' });
    for (const [reply, where] of exchangeReplies) consumers.push({ eventType: reply, bus: 'services', who: 'the saga (reply)', where });
    for (const type of [...spec.saga.shipping.confirmedBy, ...Object.keys(spec.saga.shipping.rejectedBy)]) {
      consumers.push({ eventType: type, bus: 'services', who: 'the saga (carrier)', where: 'saga.shipping' });
    }
  }
  for (const rule of options.app?.rules ?? []) {
    if (!rule.bus) continue;
    for (const type of rule.detailTypes) {
      consumers.push({
        eventType: type,
        bus: rule.bus,
        who: `rule ${readableId(rule.id)} -> ${rule.targets.join(', ') || 'no target'}`,
        where: `${rule.stack}/${readableId(rule.id)}`,
      });
    }
  }

  const risks = findRisks({ spec, plan, definition, services, entities, syncLinks, consumers });
  const criticalPaths = plan ? criticalPathsOf(plan, spec, options.observed) : [];

  return {
    name: spec.name,
    buses: [
      { role: 'legacy', name: spec.buses.legacy, deployedName: options.app?.buses.find((b) => b.role === 'legacy')?.name },
      { role: 'services', name: spec.buses.services, deployedName: options.app?.buses.find((b) => b.role === 'services')?.name },
    ],
    services,
    flows,
    saga,
    entities,
    syncLinks,
    risks,
    criticalPaths,
    app: options.app ? appView(options.app) : undefined,
  };
}

function actionNode(
  spec: Spec,
  plan: SagaPlan,
  a: ForwardAction | CompensationAction,
  direction: 'forward' | 'compensation',
): SagaActionNode {
  const saga = spec.saga!;
  const waits: WaitView[] = [];
  const ex = a.exchange;
  if (ex) {
    waits.push({
      kind: 'reply',
      seconds: ex.replyTimeoutSeconds,
      detail: `waits ${ex.replyTimeoutSeconds} s for ${[...ex.success, ...Object.keys(ex.failure)].join(' | ')}, sends ${ex.command} up to ${ex.maxAttempts} times`,
    });
  } else if (a.kind === 'service-callback') {
    waits.push({
      kind: 'callback',
      seconds: saga.shipping.timeoutSeconds,
      detail: `waits up to ${saga.shipping.timeoutSeconds} s for ${saga.shipping.confirmedBy.join(' | ')}`,
    });
    if (saga.shipping.heartbeatSeconds !== undefined)
      waits.push({
        kind: 'heartbeat',
        seconds: saga.shipping.heartbeatSeconds,
        detail: `the carrier reports progress at least every ${saga.shipping.heartbeatSeconds} s`,
      });
  } else if (a.kind === 'service') {
    waits.push({
      kind: 'step-timeout',
      seconds: plan.stepTimeoutSeconds,
      detail: `each call times out after ${plan.stepTimeoutSeconds} s`,
    });
  }
  if (direction === 'forward' && a.id === 'ProcessPayment' && plan.fraudReview) {
    waits.push({
      kind: 'fraud-review',
      seconds: plan.fraudReview.waitSeconds * plan.fraudReview.maxChecks,
      detail: `re-checks a held payment every ${plan.fraudReview.waitSeconds} s, ${plan.fraudReview.maxChecks} times`,
    });
  }
  if (direction === 'forward' && a.id === 'ReserveInventory') {
    waits.push({
      kind: 'reservation',
      seconds: plan.reservationTtlSeconds,
      detail: `the reservation expires after ${plan.reservationTtlSeconds} s unless confirmed`,
    });
  }
  const retry = direction === 'forward' ? plan.retry.step : plan.retry.compensation;
  const fwd = direction === 'forward' ? (a as ForwardAction) : undefined;
  const latency = direction === 'forward' && a.id === a.step ? saga.steps[a.step].latency : undefined;
  return {
    id: a.id,
    step: a.step,
    // A routed step is drawn at its service side: which side serves an order is decided per order at run time.
    owner: a.owner === 'routed' ? 'service' : a.owner,
    service: a.service,
    kind: a.kind,
    direction,
    compensation: fwd?.compensation,
    compensateFromOnError: fwd ? fwd.compensateFromOnError : undefined,
    rejections: fwd?.rejections ?? [],
    command: ex?.command,
    replies: ex ? [...ex.success, ...Object.keys(ex.failure)] : undefined,
    waits,
    maxAttempts: ex ? ex.maxAttempts : a.kind === 'orders-table' ? 1 : retry.maxAttempts + 1,
    latency,
  };
}
