import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { AuditLog } from '../constructs/audit-log';
import { Bridge } from '../constructs/bridge';
import { Quarantine } from '../constructs/quarantine';
import { OUTPUTS } from '../../core/contract';

export interface BridgeStackProps extends StackProps {
  readonly spec: Spec;
}

/**
 * The output keys scripts, the CLI and the tests read (CloudFormation DescribeStacks or `cdk deploy
 * --outputs-file`). Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck.
 */
export const BRIDGE_OUTPUTS = OUTPUTS.bridge;

/** The two buses, the translators between them, the audit log and the quarantine. */
export class BridgeStack extends Stack {
  public readonly legacyBus: events.EventBus;
  public readonly servicesBus: events.EventBus;
  public readonly auditLog: AuditLog;
  public readonly auditTable: dynamodb.Table;
  public readonly quarantine: Quarantine;
  public readonly quarantineTable: dynamodb.Table;
  public readonly bridge: Bridge;

  public constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);
    this.legacyBus = new events.EventBus(this, 'LegacyBus', { eventBusName: props.spec.buses.legacy });
    this.servicesBus = new events.EventBus(this, 'ServicesBus', { eventBusName: props.spec.buses.services });
    this.quarantine = new Quarantine(this, 'Quarantine');
    this.quarantineTable = this.quarantine.table;
    this.auditLog = new AuditLog(this, 'AuditLog', { spec: props.spec, buses: { legacy: this.legacyBus, services: this.servicesBus } });
    this.auditTable = this.auditLog.table;
    this.bridge = new Bridge(this, 'Bridge', {
      spec: props.spec,
      legacyBus: this.legacyBus,
      servicesBus: this.servicesBus,
      quarantine: this.quarantine,
      auditLog: this.auditLog,
    });

    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(
      BRIDGE_OUTPUTS.legacyBusName,
      this.legacyBus.eventBusName,
      'The bus the monolith puts its events on and reads translated ones from',
    );
    out(BRIDGE_OUTPUTS.servicesBusName, this.servicesBus.eventBusName, 'The bus the new services use');
    out(BRIDGE_OUTPUTS.legacyBusArn, this.legacyBus.eventBusArn, 'ARN of the legacy bus');
    out(BRIDGE_OUTPUTS.servicesBusArn, this.servicesBus.eventBusArn, 'ARN of the services bus');
    out(BRIDGE_OUTPUTS.auditTableName, this.auditTable.tableName, 'The append-only audit log (cutover audit verify / tail)');
    out(BRIDGE_OUTPUTS.quarantineTableName, this.quarantineTable.tableName, 'Events the bridge could not translate, by reason and time');
    out(
      BRIDGE_OUTPUTS.translatorDlqUrl,
      this.bridge.deadLetterQueue.queueUrl,
      'Events the translators could not process after every retry',
    );
    out(BRIDGE_OUTPUTS.auditDlqUrl, this.auditLog.deadLetterQueue.queueUrl, 'Events the audit writers could not log after every retry');
  }
}
