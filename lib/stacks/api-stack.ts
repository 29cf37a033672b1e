import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { apiModelsOf } from '../../core/api/model';
import type { Spec } from '../../core/spec';
import { DataApi, type DataApiAuth } from '../constructs/data-api';
import { OUTPUTS } from '../../core/contract';

export interface ApiStackProps extends StackProps {
  readonly spec: Spec;
  /** Spec table name -> deployed table (the data stack's ServiceTables.tables). */
  readonly tables: ReadonlyMap<string, dynamodb.ITable>;
  /** @default { kind: 'jwt' } (a Cognito user pool per API) */
  readonly auth?: DataApiAuth;
}

/** Output keys the CLI, tests and demo read: followed by the service name in PascalCase. */
export const API_OUTPUTS = OUTPUTS.api;

export const pascalService = (name: string): string =>
  name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** Generated REST APIs (issue 13): one DataApi per service of the spec's api section. */
export class ApiStack extends Stack {
  public readonly apis: ReadonlyMap<string, DataApi>;

  public constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const models = apiModelsOf(props.spec);
    if (models.length === 0) throw new Error('ApiStack: the spec has no api section');
    const apis = new Map<string, DataApi>();
    for (const service of models) {
      const api = new DataApi(this, `${pascalService(service.service)}Api`, {
        service,
        spec: props.spec,
        tables: props.tables,
        auth: props.auth,
      });
      apis.set(service.service, api);
      new CfnOutput(this, `${API_OUTPUTS.urlPrefix}${pascalService(service.service)}`, {
        value: api.api.url,
        description: `The ${service.service} API (OpenAPI at /openapi.json)`,
      });
      new CfnOutput(this, `${API_OUTPUTS.idPrefix}${pascalService(service.service)}`, {
        value: api.api.restApiId,
        description: `REST API id of the ${service.service} API`,
      });
      if (api.userPool)
        new CfnOutput(this, `${API_OUTPUTS.userPoolPrefix}${pascalService(service.service)}`, {
          value: api.userPool.userPoolId,
          description: `Cognito user pool of the ${service.service} API`,
        });
      if (api.userPoolClient) {
        new CfnOutput(this, `${API_OUTPUTS.userPoolClientPrefix}${pascalService(service.service)}`, {
          value: api.userPoolClient.userPoolClientId,
          description: `App client of the ${service.service} API's user pool`,
        });
      }
    }
    new CfnOutput(this, API_OUTPUTS.stage, { value: [...apis.values()][0].api.deploymentStage.stageName });
    this.apis = apis;
  }
}
