import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { DataSync } from '../constructs/data-sync';
import type { ServiceTables } from '../constructs/service-tables';
import { OUTPUTS } from '../../core/contract';

export interface SyncStackProps extends StackProps {
  readonly spec: Spec;
  /** The data stack's service tables (streams on the synced ones). */
  readonly tables: ServiceTables;
  readonly servicesBus: events.IEventBus;
  /** @default - conflicts are not audited */
  readonly auditTable?: dynamodb.ITable;
  /** An existing secret with the monolith URL. @default - a new secret to fill in */
  readonly sourceSecretArn?: string;
  /** See DataSyncProps.vpc. @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default Duration.minutes(1) */
  readonly relaySchedule?: Duration;
  /** See DataSyncProps.enabled: relay schedule and stream mappings on at deploy. @default false (cutover sync start) */
  readonly enabled?: boolean;
}

/** Output keys the CLI, the tests and the demo read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck. */
export const SYNC_OUTPUTS = OUTPUTS.sync;

/** Two-way data sync (issue 11): relay, appliers both ways, conflict ledger. */
export class SyncStack extends Stack {
  public readonly sync: DataSync;

  public constructor(scope: Construct, id: string, props: SyncStackProps) {
    super(scope, id, props);
    this.sync = new DataSync(this, 'DataSync', {
      spec: props.spec,
      tables: props.tables,
      servicesBus: props.servicesBus,
      auditTable: props.auditTable,
      sourceSecret: props.sourceSecretArn
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'SourceSecret', props.sourceSecretArn)
        : undefined,
      vpc: props.vpc,
      relaySchedule: props.relaySchedule,
      enabled: props.enabled,
    });
    const s = this.sync;
    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(
      SYNC_OUTPUTS.changesQueueUrl,
      s.changesQueue.queueUrl,
      'Monolith changes on their way to the service tables (FIFO, group = entity key)',
    );
    out(
      SYNC_OUTPUTS.rejectsQueueUrl,
      s.rejectsQueue.queueUrl,
      'Rows that could not be mapped (with the reason) and changes that kept failing',
    );
    out(SYNC_OUTPUTS.dlqUrl, s.deadLetterQueue.queueUrl, 'Stream records that kept failing and failed relay runs');
    out(SYNC_OUTPUTS.ledgerTableName, s.ledgerTable.tableName, 'Conflict ledger (cutover sync conflicts --table)');
    out(SYNC_OUTPUTS.stateTableName, s.stateTable.tableName, 'Parked keys and per-key positions');
    out(SYNC_OUTPUTS.sourceSecretArn, s.sourceSecret.secretArn, 'Put the monolith URL here: {"url":"postgres://..."}');
    out(SYNC_OUTPUTS.relayFunctionName, s.relayFunction.functionName, 'The relay (invoke to run a pass now)');
    out(SYNC_OUTPUTS.itemsFunctionName, s.itemsFunction.functionName, 'Monolith -> services applier');
    out(SYNC_OUTPUTS.streamFunctionName, s.streamFunction.functionName, 'Services -> monolith applier');
    out(
      SYNC_OUTPUTS.relayRuleName,
      s.relayRule.ruleName,
      'The relay schedule (cutover sync start|stop turns it and the stream mappings on and off)',
    );
  }
}
