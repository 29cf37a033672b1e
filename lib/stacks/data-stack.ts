import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { apiModelsOf, apiTableIndexes } from '../../core/api/model';
import type { Spec } from '../../core/spec';
import { ConsistencyValidator } from '../constructs/consistency-validator';
import { ServiceTables } from '../constructs/service-tables';
import { ConfigurationError } from '../../core/errors';
import { OUTPUTS } from '../../core/contract';

export interface DataStackProps extends StackProps {
  readonly spec: Spec;
  /** The bridge's services bus: `consistency.divergence` events go here. */
  readonly servicesBus: events.IEventBus;
  /** @default - `<stack name in lower case>-`, e.g. `cutover-data-orders` */
  readonly tableNamePrefix?: string;
  /** See ConsistencyValidatorProps.sourceUrl. @default - none (runs fail naming SOURCE_URL) */
  readonly sourceUrl?: string;
  /** How often continuous validation runs. @default Duration.minutes(15) */
  readonly validationSchedule?: Duration;
  /** Rows per entity per validation run. @default 200 */
  readonly validationSampleSize?: number;
}

/** Output keys the CLI, the tests and the demo read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck. */
export const DATA_OUTPUTS = OUTPUTS.data;

export const pascal = (name: string): string => name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** Data migration (issue 6): the services' target tables and continuous validation of what they hold. */
export class DataStack extends Stack {
  public readonly tables: ServiceTables;
  public readonly validator: ConsistencyValidator;

  public constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    if (!props.spec.migration) throw new ConfigurationError('DataStack: the spec has no migration section', { setting: 'spec.migration' });
    this.tables = new ServiceTables(this, 'ServiceTables', {
      migration: props.spec.migration,
      tableNamePrefix: props.tableNamePrefix ?? `${this.stackName.toLowerCase()}-`,
      // The indexes the generated APIs query (their filters on customerId and the like).
      indexes: apiTableIndexes(apiModelsOf(props.spec)),
      // The two-way sync reads the service side's changes from the tables' streams.
      streamTables: Object.keys(props.spec.sync?.entities ?? {})
        .map((e) => props.spec.migration!.entities[e]?.target.table)
        .filter((t): t is string => t !== undefined),
    });
    this.validator = new ConsistencyValidator(this, 'ConsistencyValidator', {
      spec: props.spec,
      tables: this.tables,
      servicesBus: props.servicesBus,
      sourceUrl: props.sourceUrl,
      schedule: props.validationSchedule,
      sampleSize: props.validationSampleSize,
    });

    new CfnOutput(this, DATA_OUTPUTS.migrationTables, {
      value: this.toJsonString(this.tables.entityTables),
      description: 'Data migration: entity -> service table (backfill/verify --table)',
    });
    for (const [name, table] of this.tables.tables) {
      new CfnOutput(this, `${DATA_OUTPUTS.migrationTablePrefix}${pascal(name)}`, {
        value: table.tableName,
        description: `Service table for the spec's ${name} table`,
      });
    }
    new CfnOutput(this, DATA_OUTPUTS.validatorFunctionName, {
      value: this.validator.function.functionName,
      description: 'Continuous validation (invoke to run a pass now)',
    });
    new CfnOutput(this, DATA_OUTPUTS.validatorDlqUrl, {
      value: this.validator.deadLetterQueue.queueUrl,
      description: 'Validation runs that failed after every retry',
    });
    new CfnOutput(this, DATA_OUTPUTS.sweepTableName, {
      value: this.validator.sweepTable.tableName,
      description: "Where each entity's validation sweep stands",
    });
  }
}
