import { LEGACY_KIT_PREFIXES, SERVICE_KIT_PREFIXES } from './kit-events';
import type { SagaPlan } from '../saga/plan';
import { COMPENSATION_OF, SERVICE_OF } from '../saga/steps';
import type { Spec } from '../spec/schema';
import type { DataEntityNode, Risk, ServiceNode, SyncLinkView } from './model';

/*
 * The consistency rules. Each reads the map's facts and returns the places that break it, with why in
 * words an architect can act on. A rule never throws on a partial map: what it cannot judge, it skips.
 */

/** Someone who consumes an event type: a routed capability, the saga, or a rule of the synthesized app. */
export interface Consumer {
  readonly eventType: string;
  readonly bus: 'legacy' | 'services';
  readonly who: string;
  readonly where: string;
}

/** The saga definition the rules judge: the synthesized app's when it was read, else the one built from the spec. */
export interface DefinitionUnderTest {
  readonly states: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly where: string;
}

export interface RiskContext {
  readonly spec: Spec;
  readonly plan?: SagaPlan;
  readonly definition?: DefinitionUnderTest;
  readonly services: readonly ServiceNode[];
  readonly entities: readonly DataEntityNode[];
  readonly syncLinks?: readonly SyncLinkView[];
  readonly consumers: readonly Consumer[];
}

type Rule = (ctx: RiskContext) => Risk[];

/** The compensations that run, in order, when compensation starts at `start`. */
function compensationChain(plan: SagaPlan, start: string | null | undefined): string[] {
  const chain: string[] = [];
  let at = start ? plan.compensations.find((c) => c.id === start) : undefined;
  while (at && !chain.includes(at.id)) {
    chain.push(at.id);
    const next: string | null = at.next;
    at = next ? plan.compensations.find((c) => c.id === next) : undefined;
  }
  return chain;
}

/** Every forward action is undone by a compensation, and its state catches every error into that path. */
export const forwardWithoutCompensation: Rule = ({ plan, definition }) => {
  if (!plan) return [];
  const risks: Risk[] = [];
  for (const a of plan.forward) {
    // An action without its own compensation (ConfirmReservation) is covered when the chain that runs after
    // its failure reaches its step's compensation.
    const own = COMPENSATION_OF[a.step];
    if (!a.compensation && !compensationChain(plan, a.compensateFromOnError).includes(own)) {
      risks.push({
        rule: 'forward-without-compensation',
        severity: 'high',
        where: `saga.steps.${a.step} (${a.id})`,
        why: `${a.id} has no compensation and the compensations that run when it fails (${compensationChain(plan, a.compensateFromOnError).join(' -> ') || 'none'}) never reach ${own}, so its effect is never undone`,
      });
    }
    if (!definition) continue;
    const state = definition.states[a.id];
    if (!state) {
      risks.push({
        rule: 'forward-without-compensation',
        severity: 'high',
        where: `${definition.where} States.${a.id}`,
        why: `the definition has no state ${a.id}: the step cannot be compensated because it is not where the plan says`,
      });
      continue;
    }
    const catches = Array.isArray(state.Catch) ? (state.Catch as Array<{ ErrorEquals?: unknown }>) : [];
    const catchesAll = catches.some((c) => Array.isArray(c.ErrorEquals) && c.ErrorEquals.includes('States.ALL'));
    if (!catchesAll) {
      risks.push({
        rule: 'forward-without-compensation',
        severity: 'high',
        where: `${definition.where} States.${a.id}`,
        why: `${a.id} has no Catch for States.ALL: an unexpected error ends the execution without running ${a.compensateFromOnError ?? 'any compensation'}, leaving the steps before it in place`,
      });
    }
  }
  return risks;
};

/** What a state sends that a receiver can de-duplicate on: the saga run id, or a conditional write. */
function idempotencyEvidence(state: Readonly<Record<string, unknown>>): string | undefined {
  const params = (state.Parameters ?? state.Arguments ?? {}) as Record<string, unknown>;
  if (typeof state.Resource === 'string' && state.Resource.includes(':dynamodb:') && typeof params.ConditionExpression === 'string') {
    return `a conditional write (${params.ConditionExpression})`;
  }
  const payload = (params.Payload ?? params) as Record<string, unknown>;
  if (payload && typeof payload === 'object' && ('sagaId.$' in payload || 'sagaId' in payload))
    return 'the saga run id (sagaId) in its request';
  return undefined;
}

/**
 * An action crosses a boundary when someone other than the saga's own service performs it (a service's
 * Lambda, or the monolith through the bridge). Retries (Step Functions, EventBridge's at-least-once delivery,
 * a resend after a reply timeout) then land twice, so the request must carry a key the receiver can
 * de-duplicate on, and for the monolith the command's message id must be the saga's stable event id.
 */
export const crossingWithoutIdempotency: Rule = ({ spec, plan, definition }) => {
  if (!plan) return [];
  const home = SERVICE_OF.CreateOrder;
  const risks: Risk[] = [];
  for (const a of [...plan.forward, ...plan.compensations]) {
    if (a.owner === 'service' && a.service === home) continue;
    const where = `saga.steps.${a.step} (${a.id})`;
    if (a.exchange) {
      const t = spec.bridge.translations.find((x) => x.service === a.exchange!.command && (x.direction ?? 'both') !== 'toService');
      const legacy = t ? spec.bridge.legacyEvents[t.legacy] : undefined;
      if (!t || !legacy) {
        risks.push({
          rule: 'crossing-without-idempotency',
          severity: 'high',
          where,
          why: `${a.id} sends ${a.exchange.command} to the monolith but no translation to a legacy command carries it, so there is no message id the monolith could de-duplicate a resend on`,
        });
        continue;
      }
      const mapped = t.fields.find((f) => f.legacy === legacy.idField);
      if (mapped) {
        risks.push({
          rule: 'crossing-without-idempotency',
          severity: 'high',
          where: `${where}, bridge translation ${t.service} -> ${t.legacy}`,
          why: `the monolith de-duplicates ${t.legacy} on ${legacy.idField}, but the translation fills it from ${mapped.service ?? 'a constant'} instead of the saga's per-action event id: a resend (up to ${a.exchange.maxAttempts} sends) and a new request look alike`,
        });
      }
    }
    if (!definition) continue;
    const state = definition.states[a.id];
    if (!state) continue;
    if (!idempotencyEvidence(state)) {
      risks.push({
        rule: 'crossing-without-idempotency',
        severity: 'high',
        where: `${definition.where} States.${a.id}`,
        why: `${a.id} is performed by ${a.owner === 'monolith' ? 'the monolith' : `the ${a.service} service`} and is retried, but its request carries no sagaId and no conditional write: a retry can apply it twice`,
      });
    }
  }
  return risks;
};

export const unsyncedWrite: Rule = ({ entities, syncLinks }) =>
  entities.flatMap((e) => {
    const sides = new Set(e.writers.map((w) => w.side));
    if (sides.size < 2 || e.owner === 'split' || e.sync) return [];
    const other = e.owner === 'monolith' ? 'service' : 'monolith';
    const otherWhy = e.writers
      .filter((w) => w.side === other)
      .map((w) => w.why)
      .join('; ');
    const ownWhy = e.writers
      .filter((w) => w.side === e.owner)
      .map((w) => w.why)
      .join('; ');
    return [
      {
        rule: 'unsynced-write' as const,
        severity: 'high' as const,
        where: `migration.entities.${e.name} (${e.sourceTable} -> ${e.targetTable})`,
        why: `owned by the ${e.owner} (${ownWhy}) but also written by the ${other} (${otherWhy}), and ${syncLinks === undefined ? 'the spec has no sync section' : `sync has no link for ${e.name}`}: the two copies drift apart`,
      },
    ];
  });

const isKit = (type: string, prefixes: readonly string[]) => prefixes.some((p) => type.startsWith(p));

export const untranslatedConsumption: Rule = ({ spec, consumers, services, plan }) => {
  const risks: Risk[] = [];
  const seen = new Set<string>();
  const producedByTranslation = new Set(
    spec.bridge.translations.filter((t) => (t.direction ?? 'both') !== 'toLegacy').map((t) => t.service),
  );
  const sagaCommands = new Set<string>();
  for (const cfg of Object.values(spec.saga?.steps ?? {})) {
    if (cfg.monolith) for (const ex of [cfg.monolith.forward, cfg.monolith.compensation]) sagaCommands.add(ex.command);
  }
  const live = (service: string) => {
    const node = services.find((s) => s.name === service);
    if (!node) return false;
    if (node.routing && ['canary', 'primary', 'retired'].includes(node.routing.mode)) return true;
    return !!plan && node.sagaSteps.some((s) => s.owner === 'service');
  };
  for (const c of consumers) {
    const key = `${c.bus}|${c.eventType}|${c.where}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (c.bus === 'legacy') {
      if (isKit(c.eventType, LEGACY_KIT_PREFIXES) || spec.bridge.legacyEvents[c.eventType]) continue;
      risks.push({
        rule: 'untranslated-consumption',
        severity: 'medium',
        where: c.where,
        why: `${c.who} consumes ${c.eventType} on the legacy bus, which has no schema in bridge.legacyEvents: nothing checks what it receives`,
      });
      continue;
    }
    if (isKit(c.eventType, SERVICE_KIT_PREFIXES)) continue;
    const def = spec.bridge.serviceEvents[c.eventType];
    if (!def) {
      risks.push({
        rule: 'untranslated-consumption',
        severity: 'high',
        where: c.where,
        why: `${c.who} consumes ${c.eventType}, which has no schema in bridge.serviceEvents: bad input cannot be quarantined and no translation can reach it`,
      });
      continue;
    }
    if (producedByTranslation.has(c.eventType) || sagaCommands.has(c.eventType) || live(def.owner)) continue;
    risks.push({
      rule: 'untranslated-consumption',
      severity: 'high',
      where: c.where,
      why: `${c.who} consumes ${c.eventType}, but no translation produces it from the monolith's events and its owner ${def.owner} does not run yet: it waits for an event that never comes`,
    });
  }
  return risks;
};

export const syncWithoutPolicy: Rule = ({ syncLinks }) =>
  (syncLinks ?? [])
    .filter((l) => l.policy === undefined && Object.keys(l.fieldPolicies).length === 0)
    .map((l) => ({
      rule: 'sync-without-policy' as const,
      severity: 'high' as const,
      where: l.where,
      why: `${l.entity} is synced both ways with no conflict policy: when both sides change a row, which write survives is left to arrival order and nothing is recorded`,
    }));

export const canaryWithoutSync: Rule = ({ services, entities }) =>
  services
    .filter((s) => s.routing?.mode === 'canary')
    .flatMap((s) =>
      entities
        .filter((e) => e.service === s.name && !e.sync)
        .map((e) => ({
          rule: 'canary-without-sync' as const,
          severity: 'high' as const,
          where: `routing.capabilities.${s.name} (entity ${e.name})`,
          why: `${s.name} is in canary at ${s.routing!.percent}% (${s.routing!.source === 'spec' ? 'spec seed' : 'routing table'}): both sides write ${e.name} (${e.sourceTable} / ${e.targetTable}) for their share of keys, and without a sync link a rollback or a key moving sides reads stale data`,
        })),
    );

export const RULES: readonly Rule[] = [
  forwardWithoutCompensation,
  crossingWithoutIdempotency,
  unsyncedWrite,
  untranslatedConsumption,
  syncWithoutPolicy,
  canaryWithoutSync,
];

export function findRisks(ctx: RiskContext): Risk[] {
  return RULES.flatMap((rule) => rule(ctx));
}
