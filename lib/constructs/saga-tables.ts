import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SAGA_TABLES, type SagaTableName, type TableShape } from '../../core/saga/tables';

export interface SagaTablesProps {
  /**
   * Whether to build the reference monolith's table.
   * @default false
   */
  readonly referenceMonolith?: boolean;
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The order saga's tables (core/saga/tables.ts has their keys) and the grants on them: each grant names
 * the items one role reads and writes, nothing more.
 *
 * The tables are created in the given scope rather than under a construct of their own: their construct
 * paths, hence their logical ids, stay those of earlier releases, so an update never replaces a retained
 * table with a new, empty one.
 */
export class SagaTables {
  public readonly orders: dynamodb.Table;
  public readonly sagaState: dynamodb.Table;
  public readonly needsAttention: dynamodb.Table;
  public readonly callbacks: dynamodb.Table;
  public readonly inventory: dynamodb.Table;
  public readonly payments: dynamodb.Table;
  public readonly shipments: dynamodb.Table;
  public readonly notifications: dynamodb.Table;
  /** Only with `referenceMonolith`. */
  public readonly monolith?: dynamodb.Table;

  public constructor(scope: Construct, props: SagaTablesProps = {}) {
    const table = (name: SagaTableName): dynamodb.Table => {
      const s: TableShape = SAGA_TABLES[name];
      const t = new dynamodb.Table(scope, `${name[0].toUpperCase()}${name.slice(1)}Table`, {
        partitionKey: { name: s.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: s.sortKey ? { name: s.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        timeToLiveAttribute: s.ttl,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      for (const idx of s.indexes ?? []) {
        t.addGlobalSecondaryIndex({
          indexName: idx.name,
          partitionKey: { name: idx.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: idx.sortKey ? { name: idx.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        });
      }
      return t;
    };
    // Creation order is SAGA_TABLES' order: it is the order of the resources in the template.
    this.orders = table('orders');
    this.sagaState = table('sagaState');
    this.needsAttention = table('needsAttention');
    this.callbacks = table('callbacks');
    this.inventory = table('inventory');
    this.payments = table('payments');
    this.shipments = table('shipments');
    this.notifications = table('notifications');
    if (props.referenceMonolith) this.monolith = table('monolith');
  }

  /** The inventory service: stock items and reservations, read one or many, written conditionally. */
  public grantInventoryService(grantee: iam.IGrantable): iam.Grant {
    return this.inventory.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem');
  }

  /** The payment service: one payment per order. */
  public grantPaymentService(grantee: iam.IGrantable): iam.Grant {
    return this.payments.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /** The shipping service: one shipment per order. */
  public grantShippingService(grantee: iam.IGrantable): iam.Grant {
    return this.shipments.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /** The notification service: its outbox, written once per notice. */
  public grantNotificationService(grantee: iam.IGrantable): iam.Grant {
    return this.notifications.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }

  /** Files a task token by (orderId, action) before the wait starts. */
  public grantFileCallbacks(grantee: iam.IGrantable): iam.Grant {
    return this.callbacks.grant(grantee, 'dynamodb:PutItem', 'dynamodb:GetItem');
  }

  /** Looks a task token up and marks it completed, once. */
  public grantCompleteCallbacks(grantee: iam.IGrantable): iam.Grant {
    return this.callbacks.grant(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }

  /** Walks every waiting token (the shipping heartbeat). */
  public grantSweepCallbacks(grantee: iam.IGrantable): iam.Grant {
    return this.callbacks.grant(grantee, 'dynamodb:Scan');
  }

  /** The reference monolith's own state; throws when the tables were built without it. */
  public grantReferenceMonolith(grantee: iam.IGrantable): iam.Grant {
    if (!this.monolith) throw new Error('SagaTables: built without referenceMonolith, there is no monolith table to grant');
    return this.monolith.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /**
   * The state machine's own bookkeeping through its DynamoDB integrations: orders and saga state written and
   * updated, needs-attention rows put. The table ARNs only, not their indexes: it never queries.
   */
  public grantStateMachineBookkeeping(grantee: iam.IGrantable): iam.Grant {
    const tables = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.orders.tableArn, this.sagaState.tableArn],
    });
    return tables.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.needsAttention.tableArn] }),
    );
  }
}
