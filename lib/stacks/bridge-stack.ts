import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';

export interface BridgeStackProps extends StackProps {
  readonly spec: Spec;
}

/** The two buses, the translators between them, the audit log and the quarantine. */
export class BridgeStack extends Stack {
  public readonly legacyBus: events.EventBus;
  public readonly servicesBus: events.EventBus;

  public constructor(scope: Construct, id: string, props: BridgeStackProps) {
    super(scope, id, props);
    this.legacyBus = new events.EventBus(this, 'LegacyBus', { eventBusName: props.spec.buses.legacy });
    this.servicesBus = new events.EventBus(this, 'ServicesBus', { eventBusName: props.spec.buses.services });
  }
}
