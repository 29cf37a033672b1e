import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_SOURCE } from '../../core/events/envelope';
import type { Spec } from '../../core/spec';
import type { AuditLog } from './audit-log';
import { ASYNC_RETRY, TARGET_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import type { Quarantine } from './quarantine';
import { ConfigurationError } from '../../core/errors';

export interface BridgeProps {
  readonly spec: Spec;
  /** Where the monolith puts its events (and receives translated service events). */
  readonly legacyBus: events.IEventBus;
  /** Where the new services put theirs (and receive translated legacy events). */
  readonly servicesBus: events.IEventBus;
  readonly quarantine: Quarantine;
  readonly auditLog: AuditLog;
}

/** The rule feeding translate-legacy: everything the monolith puts, whatever the type. */
export function legacyRulePattern(spec: Spec): events.EventPattern {
  if (spec.bridge.legacySource === BRIDGE_SOURCE) {
    throw new ConfigurationError(
      `bridge.legacySource: ${JSON.stringify(BRIDGE_SOURCE)} is the bridge's own source; the monolith needs another, or translations would loop`,
      { setting: 'bridge.legacySource' },
    );
  }
  return { source: [spec.bridge.legacySource] };
}

/**
 * The rule feeding translate-services: the service event types that have a translation to legacy, not put
 * by the bridge and not of legacy origin (a translated legacy event never goes back). An event of one of
 * those types without `metadata.origin` (no envelope at all) is routed too, so the translator quarantines
 * it instead of the bridge silently passing it by. Undefined when no service event translates to legacy
 * (EventBridge refuses an empty list).
 */
export function servicesRulePattern(spec: Spec): events.EventPattern | undefined {
  const types = [...new Set(spec.bridge.translations.filter((t) => (t.direction ?? 'both') !== 'toService').map((t) => t.service))].sort();
  if (types.length === 0) return undefined;
  return {
    source: events.Match.anythingBut(BRIDGE_SOURCE),
    detailType: types,
    detail: { metadata: { origin: events.Match.anyOf(events.Match.anythingBut('legacy'), events.Match.doesNotExist()) } },
  };
}

/**
 * Translation in both directions: a rule per bus generated from the spec, a translator Lambda behind each,
 * one dead-letter queue for what cannot be delivered or processed after every retry. Bad events are
 * quarantined by the Lambdas themselves (see functions/shared/bridge-handler.ts).
 */
export class Bridge extends Construct {
  public readonly translateLegacy: CutoverFunction;
  public readonly translateServices: CutoverFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly legacyRule: events.Rule;
  public readonly servicesRule?: events.Rule;

  public constructor(scope: Construct, id: string, props: BridgeProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    const shared = {
      QUARANTINE_TABLE_NAME: props.quarantine.table.tableName,
      AUDIT_TABLE_NAME: props.auditLog.table.tableName,
    };

    this.translateLegacy = new CutoverFunction(this, 'TranslateLegacy', {
      functionDir: 'translate-legacy',
      spec: props.spec,
      description: 'cutover: translates monolith events to service events',
      environment: { ...shared, SERVICES_BUS_NAME: props.servicesBus.eventBusName },
    });
    props.servicesBus.grantPutEventsTo(this.translateLegacy);

    this.translateServices = new CutoverFunction(this, 'TranslateServices', {
      functionDir: 'translate-services',
      spec: props.spec,
      description: 'cutover: translates service events to monolith events',
      environment: { ...shared, LEGACY_BUS_NAME: props.legacyBus.eventBusName },
    });
    props.legacyBus.grantPutEventsTo(this.translateServices);

    for (const fn of [this.translateLegacy, this.translateServices]) {
      fn.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(this.deadLetterQueue) });
      props.quarantine.grantRecord(fn);
      props.auditLog.grantAppend(fn);
      acknowledgeFunctionFindings(fn);
    }

    const target = (fn: CutoverFunction) => new targets.LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY });
    this.legacyRule = new events.Rule(this, 'LegacyToServices', {
      eventBus: props.legacyBus,
      description: 'cutover: monolith events to the legacy -> services translator',
      eventPattern: legacyRulePattern(props.spec),
      targets: [target(this.translateLegacy)],
    });
    const servicesPattern = servicesRulePattern(props.spec);
    if (servicesPattern) {
      this.servicesRule = new events.Rule(this, 'ServicesToLegacy', {
        eventBus: props.servicesBus,
        description: 'cutover: service events with a legacy translation to the services -> legacy translator',
        eventPattern: servicesPattern,
        targets: [target(this.translateServices)],
      });
    }
  }
}
