import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { compileEntity, type KeyAttribute } from '../../core/migration';
import type { MigrationSection } from '../../core/spec/migration';
import { ConfigurationError } from '../../core/errors';

export interface ServiceTablesProps {
  /** The spec's migration section: one table per distinct `target.table`, keyed as the entities say. */
  readonly migration: MigrationSection;
  /**
   * Prepended to each spec table name, so the services' tables never clash with cutover's own (saga,
   * audit) or with another copy of the kit in the account. The CLI finds them with `--table <prefix><name>`.
   */
  readonly tableNamePrefix: string;
  /** @default RemovalPolicy.RETAIN (these hold the services' data: never deleted with the stack) */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Spec table name -> index name -> keys: global secondary indexes (projection ALL) the generated APIs
   * query (core/api/model.ts `apiTableIndexes`). @default - none
   */
  readonly indexes?: ReadonlyMap<string, ReadonlyMap<string, { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute }>>;
  /**
   * Spec table names that get a DynamoDB stream (NEW_AND_OLD_IMAGES) for the two-way sync's
   * services -> monolith applier. @default - none
   */
  readonly streamTables?: readonly string[];
}

/** Spec table name -> key schema, checked to agree across the entities sharing a table. */
export interface ServiceTableKey {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

/** Spec table name -> key schema (names and S/N types from the compiled mapping), checked to agree across the entities sharing a table. */
export function serviceTableKeys(migration: MigrationSection): Map<string, ServiceTableKey> {
  const keys = new Map<string, ServiceTableKey & { entity: string }>();
  const text = (k: ServiceTableKey) =>
    `(${k.partitionKey.name}:${k.partitionKey.type}, ${k.sortKey ? `${k.sortKey.name}:${k.sortKey.type}` : '-'})`;
  for (const [entity, def] of Object.entries(migration.entities)) {
    const key = compileEntity(entity, def).keySchema;
    const table = def.target.table;
    const seen = keys.get(table);
    if (seen && text(seen) !== text(key)) {
      throw new ConfigurationError(
        `migration.entities.${entity}.target: table ${table} is keyed ${text(key)} here but ${text(seen)} by entity ${seen.entity}`,
        { setting: `migration.entities.${entity}.target` },
      );
    }
    if (!seen) keys.set(table, { ...key, entity });
  }
  return new Map([...keys].map(([t, k]) => [t, { partitionKey: k.partitionKey, sortKey: k.sortKey }]));
}

const attributeType = (k: KeyAttribute) => (k.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING);

/**
 * The new services' DynamoDB tables that backfill fills and verify checks: pay-per-request, encrypted,
 * point-in-time recovery, retained when the stack goes. Key attribute types come from the mapping.
 */
export class ServiceTables extends Construct {
  /** Spec table name -> the deployed table. */
  public readonly tables: ReadonlyMap<string, dynamodb.Table>;
  /** Entity name -> deployed table name (a token until deploy). */
  public readonly entityTables: Readonly<Record<string, string>>;

  public constructor(scope: Construct, id: string, props: ServiceTablesProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_.-]*$/.test(props.tableNamePrefix)) {
      throw new ConfigurationError(
        `tableNamePrefix may hold only letters, digits, _ . and -, got ${JSON.stringify(props.tableNamePrefix)}`,
        { setting: 'tableNamePrefix' },
      );
    }
    const tables = new Map<string, dynamodb.Table>();
    for (const [name, key] of serviceTableKeys(props.migration)) {
      const id = name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());
      tables.set(
        name,
        new dynamodb.Table(this, `${id}Table`, {
          tableName: `${props.tableNamePrefix}${name}`,
          partitionKey: { name: key.partitionKey.name, type: attributeType(key.partitionKey) },
          sortKey: key.sortKey ? { name: key.sortKey.name, type: attributeType(key.sortKey) } : undefined,
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
          ...(props.streamTables?.includes(name) ? { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES } : {}),
        }),
      );
    }
    for (const [table, byName] of props.indexes ?? new Map()) {
      const t = tables.get(table);
      if (!t) throw new Error(`indexes: ${table} is not a table of the migration section`);
      for (const [indexName, k] of byName) {
        t.addGlobalSecondaryIndex({
          indexName,
          partitionKey: { name: k.partitionKey.name, type: attributeType(k.partitionKey) },
          sortKey: k.sortKey ? { name: k.sortKey.name, type: attributeType(k.sortKey) } : undefined,
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
    }
    this.tables = tables;
    this.entityTables = Object.fromEntries(
      Object.entries(props.migration.entities).map(([entity, def]) => [entity, tables.get(def.target.table)!.tableName]),
    );
  }

  /** Read access for verification (items by key, whole partitions): no writes, no scans of other tables. */
  public grantVerifyRead(grantee: iam.IGrantable): void {
    // The tables' ARNs only: `table.grant` would add `<table>/index/*` once a table has an API index, and verification reads no index.
    for (const table of this.tables.values()) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resourceArns: [table.tableArn],
      });
    }
  }
}
