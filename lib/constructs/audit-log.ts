import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';

/** Matches every event on a bus: each event has a string `source`, and every string starts with "". */
export const CATCH_ALL_PATTERN: events.EventPattern = { source: events.Match.prefix('') };

/** Retries of a rule target and of the async invocation behind it; the same for every cutover rule. */
export const TARGET_RETRY = { retryAttempts: 10, maxEventAge: Duration.hours(24) } as const;
export const ASYNC_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

export interface AuditLogProps {
  readonly spec: Spec;
  /** The buses whose every event is logged, by label (the label is recorded in each entry as `bus`). */
  readonly buses: Readonly<Record<string, events.IEventBus>>;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The append-only audit log: a DynamoDB table hash-chained per stream (partition `stream`, sort key `sk`:
 * `S#<sequence>` entries and `E#<eventId>` de-duplication markers), and one writer Lambda per bus behind a
 * catch-all rule. Nothing is granted DeleteItem or UpdateItem; writers get PutItem (always conditional),
 * Query and GetItem. PITR on, encrypted, retained when the stack goes.
 */
export class AuditLog extends Construct {
  public readonly table: dynamodb.Table;
  /** Holds events a writer could not log after every retry (rule delivery failures and function failures). */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly writers: Readonly<Record<string, CutoverFunction>>;
  public readonly rules: Readonly<Record<string, events.Rule>>;

  public constructor(scope: Construct, id: string, props: AuditLogProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'stream', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    const writers: Record<string, CutoverFunction> = {};
    const rules: Record<string, events.Rule> = {};
    for (const [label, bus] of Object.entries(props.buses)) {
      const name = pascal(label);
      const writer = new CutoverFunction(this, `${name}Writer`, {
        functionDir: 'audit-writer',
        spec: props.spec,
        description: `cutover: appends every event on the ${label} bus to the audit log`,
        environment: { AUDIT_TABLE_NAME: this.table.tableName, AUDIT_BUS: label },
      });
      writer.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(this.deadLetterQueue) });
      this.grantAppend(writer);
      acknowledgeFunctionFindings(writer);
      rules[label] = new events.Rule(this, `${name}CatchAll`, {
        eventBus: bus,
        description: `cutover: every event on the ${label} bus, to the audit log`,
        eventPattern: CATCH_ALL_PATTERN,
        targets: [new targets.LambdaFunction(writer, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
      writers[label] = writer;
    }
    this.writers = writers;
    this.rules = rules;
  }

  /** Lets `grantee` append entries: PutItem (conditional, by the store), Query and GetItem for the head. */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
  }

  /** Lets `grantee` read and verify the log (Query, GetItem, Scan for the list of streams). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:Scan');
  }
}

function pascal(label: string): string {
  return label
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
