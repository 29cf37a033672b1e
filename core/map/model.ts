import type { RouteMode } from '../routing/model';

/*
 * The transaction-boundary map of a migration: who owns what, how events and commands cross the bridge,
 * how the saga spans the monolith and the services, where data is written on both sides, and what can go
 * wrong between them. Built by `buildTransactionMap` (pure) from the spec, optionally the synthesized app
 * (CloudFormation templates) and the live routing table; rendered as Mermaid, JSON and HTML.
 */

/** The two sides of the migration. `split` is both at once (a canary, or steps of one service on both sides). */
export type Side = 'monolith' | 'service';
export type Ownership = Side | 'split';

/** Where a fact came from, so a reader can check it. */
export type FactSource = 'spec' | 'routing-table' | 'app';

export interface RoutingView {
  readonly mode: RouteMode;
  readonly percent: number;
  /** `spec` is the seed (`initial`); `routing-table` is the live entry when the table was read. */
  readonly source: FactSource;
  readonly candidate: string;
  /** The delivery target of the monolith and of each implementation. */
  readonly targets: readonly string[];
}

/** A service (the reference services of the saga, the routed capabilities and the owners of service events). */
export interface ServiceNode {
  readonly name: string;
  /** Which side is authoritative for the service's capability now, and why. */
  readonly owner: Ownership;
  readonly ownerWhy: string;
  readonly routing?: RoutingView;
  /** Saga steps that belong to the service, with who performs each. */
  readonly sagaSteps: ReadonlyArray<{ readonly step: string; readonly owner: Side }>;
  /** Service events the service owns (emits). */
  readonly emits: readonly string[];
  /** Service events routed to it. */
  readonly consumes: readonly string[];
  /** Data entities (spec `migration`) that belong to it. */
  readonly entities: readonly string[];
}

export interface BusNode {
  readonly role: 'legacy' | 'services';
  /** The name in the spec. */
  readonly name: string;
  /** The name in the synthesized app, when it was read. */
  readonly deployedName?: string;
}

export type FlowKind =
  /** The monolith emits a legacy event; the bridge translates it onto the services bus. */
  | 'event'
  /** A service emits its own event on the services bus. */
  | 'service-event'
  /** The saga sends a command; the bridge translates it for the monolith. */
  | 'command'
  /** The monolith's answer to a command, translated back for the saga. */
  | 'reply'
  /** The saga calls a service directly (Lambda or DynamoDB). */
  | 'call'
  /** The router delivers a routed event to the monolith or a service version. */
  | 'routed'
  /** The saga consumes an event (start, carrier confirmation). */
  | 'consumed'
  /** A rule in the synthesized app matches the event. */
  | 'rule';

export interface TranslationView {
  readonly legacy: string;
  readonly service: string;
  readonly serviceVersion: number;
  readonly direction: 'both' | 'toService' | 'toLegacy';
}

/** One flow of one event or command type between two nodes of the map. */
export interface Flow {
  readonly kind: FlowKind;
  /** Node ids: `monolith`, `bridge`, `saga`, `router`, `svc:<name>`, `rule:<stack>/<id>`. */
  readonly from: string;
  readonly to: string;
  readonly eventType: string;
  readonly bus: 'legacy' | 'services';
  readonly translation?: TranslationView;
  /** Where the flow is declared (a spec path or a template resource). */
  readonly where: string;
}

export interface LatencyView {
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export interface WaitView {
  readonly kind: 'reply' | 'callback' | 'heartbeat' | 'fraud-review' | 'reservation' | 'step-timeout';
  readonly seconds: number;
  readonly detail: string;
}

/** One action of the saga (a forward step, ConfirmReservation, or a compensation). */
export interface SagaActionNode {
  readonly id: string;
  readonly step: string;
  readonly owner: Side;
  readonly service: string;
  /** How it is performed: the saga's own table, a service Lambda, a Lambda that answers later, the monolith. */
  readonly kind: 'orders-table' | 'service' | 'service-callback' | 'monolith';
  readonly direction: 'forward' | 'compensation';
  /** For forward actions: the compensation that undoes it (absent when the step's compensation covers it). */
  readonly compensation?: string;
  /** For forward actions: where compensation starts when it fails with an ambiguous error. */
  readonly compensateFromOnError?: string | null;
  readonly rejections: readonly string[];
  readonly command?: string;
  readonly replies?: readonly string[];
  readonly waits: readonly WaitView[];
  readonly maxAttempts: number;
  readonly latency?: LatencyView;
}

export interface SagaView {
  readonly name: string;
  readonly orderEvent: string;
  readonly autoStart: boolean;
  readonly forward: readonly SagaActionNode[];
  readonly compensations: readonly SagaActionNode[];
  /** Where the definition the risks were judged on came from: built from the spec, or read from the app. */
  readonly definitionFrom: 'spec' | 'app';
}

/** A sync link between a monolith table and a service table (spec `sync`, when the section exists). */
export interface SyncLinkView {
  readonly entity: string;
  /** The conflict policy (`lastWriterWins`, `delta`...), absent when none is declared. */
  readonly policy?: string;
  /** Field-level policies, when declared. */
  readonly fieldPolicies: Readonly<Record<string, string>>;
  readonly where: string;
}

/** A data entity of the spec's `migration` section and who writes it. */
export interface DataEntityNode {
  readonly name: string;
  readonly sourceTable: string;
  readonly targetTable: string;
  /** The service it belongs to, matched by entity or table name; absent when no service claims it. */
  readonly service?: string;
  readonly owner: Ownership;
  readonly writers: ReadonlyArray<{ readonly side: Side; readonly why: string }>;
  readonly sync?: SyncLinkView;
}

export const RISK_RULES = [
  'forward-without-compensation',
  'crossing-without-idempotency',
  'unsynced-write',
  'untranslated-consumption',
  'sync-without-policy',
  'canary-without-sync',
] as const;
export type RiskRule = (typeof RISK_RULES)[number];

/** A consistency risk: which rule, where (a spec path or a template resource) and why, in words. */
export interface Risk {
  readonly rule: RiskRule;
  readonly severity: 'high' | 'medium';
  readonly where: string;
  readonly why: string;
}

export interface ObservedLatency {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly samples: number;
}

export interface PathHop {
  /** The saga action measured (its step-started to step-succeeded). */
  readonly action: string;
  readonly from: string;
  readonly to: string;
  readonly owner: Side;
  /**
   * `call`: the saga calls and gets the answer; `reply`: a command to the monolith answered through the
   * bridge (the customer still waits); `callback`: someone outside answers later (the carrier), budgeted apart.
   */
  readonly wait: 'call' | 'reply' | 'callback';
  readonly declared?: LatencyView;
  readonly observed?: ObservedLatency;
}

export interface LatencyBudget {
  /** Sum of the declared p50s and p95s over every hop (p95 sums are a pessimistic bound). */
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** The same over `call` hops only: what the customer waits for before the order is confirmed. */
  readonly interactiveP50Ms: number;
  readonly interactiveP95Ms: number;
  /** Hops without a declared profile: the budget is incomplete while any are listed. */
  readonly undeclared: readonly string[];
}

export interface CriticalPath {
  readonly name: string;
  readonly description: string;
  readonly hops: readonly PathHop[];
  readonly budget: LatencyBudget;
  /** End to end, measured per saga run (first hop start to last hop end), when `--observed` was given. */
  readonly observed?: ObservedLatency;
}

/** What was read from the synthesized app (cdk.out). */
export interface AppView {
  readonly stacks: readonly string[];
  readonly rules: number;
  /** The rules on the spec's buses: who consumes which event types in the deployed app. */
  readonly busRules: ReadonlyArray<{
    readonly rule: string;
    readonly bus: 'legacy' | 'services';
    readonly detailTypes: readonly string[];
    readonly targets: readonly string[];
  }>;
  readonly stateMachines: readonly string[];
  readonly functions: number;
  readonly tables: number;
}

export interface TransactionMap {
  readonly name: string;
  readonly buses: readonly BusNode[];
  readonly services: readonly ServiceNode[];
  readonly flows: readonly Flow[];
  readonly saga?: SagaView;
  readonly entities: readonly DataEntityNode[];
  /** Undefined when the spec has no `sync` section at all. */
  readonly syncLinks?: readonly SyncLinkView[];
  readonly risks: readonly Risk[];
  readonly criticalPaths: readonly CriticalPath[];
  readonly app?: AppView;
}
