import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface QuarantineProps {
  /**
   * What happens to the table when the stack is deleted. Quarantined events are data nobody else holds.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The quarantine: a DynamoDB table of events the bridge could not translate, with the original payload and
 * the reasons. Partition `reason`, sort key `<event time>#<EventBridge id>`, so "every schema failure since
 * 10:00" is one Query. Writers get PutItem only (conditional puts: idempotent, never an overwrite).
 */
export class Quarantine extends Construct {
  public readonly table: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: QuarantineProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'reason', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Lets `grantee` record quarantined events (PutItem only). */
  public grantRecord(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:PutItem');
  }

  /** Lets `grantee` list quarantined events (Query, GetItem). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:Query', 'dynamodb:GetItem');
  }
}
