import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface RoutingTablesProps {
  /**
   * What happens to the tables when the stack is deleted. The routing state and its history are what an
   * operator needs after an incident.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The routing state, in DynamoDB rather than in rules: changing a split or rolling back is a table write,
 * never a deploy, so there is no CloudFormation drift and a rollback takes effect within a second.
 *
 * - `table`: partition `capability`, sort `sk`: `ROUTE` (the route entry) and `SERVICE#<target>` (a
 *   registered service version). Small: the router scans it whole, strongly consistent.
 * - `historyTable`: partition `capability`, sort `revision` (number): one item per committed change, written
 *   in the same transaction as the entry. Append-only: nobody is granted UpdateItem or DeleteItem.
 * - `outcomesTable`: partition `pair` (`<capability>#<eventId>`), sort `role`: what each side of a shadowed
 *   event did, for comparison; expires after a week (TTL `expiresAt`).
 */
export class RoutingTables extends Construct {
  public readonly table: dynamodb.Table;
  public readonly historyTable: dynamodb.Table;
  public readonly outcomesTable: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: RoutingTablesProps = {}) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.table = new dynamodb.Table(this, 'Table', {
      ...common,
      partitionKey: { name: 'capability', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });
    this.historyTable = new dynamodb.Table(this, 'History', {
      ...common,
      partitionKey: { name: 'capability', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'revision', type: dynamodb.AttributeType.NUMBER },
      deletionProtection: true,
    });
    this.outcomesTable = new dynamodb.Table(this, 'ShadowOutcomes', {
      ...common,
      partitionKey: { name: 'pair', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'role', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });
  }

  /** A saga's decision task: one capability's entry at a time, nothing else (no Scan, no writes). */
  public grantReadEntry(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem');
  }

  /** Read the routing table (the router): Scan and GetItem, nothing on the history. */
  public grantRoute(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:Scan', 'dynamodb:GetItem');
  }

  /**
   * Change routing (CLI, registry, auto-rollback): read and put entries and registrations, append history
   * (PutItem on condition of a new key, in a transaction) and read it back. No update or delete anywhere.
   */
  public grantChange(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem');
    this.historyTable.grant(grantee, 'dynamodb:PutItem', 'dynamodb:Query');
  }

  /** Record and read shadow outcomes (the consumer adapter around an implementation). */
  public grantRecordOutcomes(grantee: iam.IGrantable): void {
    this.outcomesTable.grant(grantee, 'dynamodb:PutItem', 'dynamodb:GetItem');
  }
}
