import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { loggedRestApi } from './logged-rest-api';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { ApiServiceModel } from '../../core/api/model';
import { entitySchemas } from '../../core/api/schemas';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { acknowledgeFunctionFindings } from './function-acks';

/** How callers authenticate. */
export type DataApiAuth =
  /** A Cognito user pool authorizer; the construct builds a user pool unless one is given. */
  | { readonly kind: 'jwt'; readonly userPool?: cognito.IUserPool }
  /** AWS SigV4 (IAM): grant callers execute-api:Invoke with `grantInvoke`. */
  | { readonly kind: 'iam' }
  /** No authorization (a private network, a test). Must be chosen explicitly. */
  | { readonly kind: 'none' };

export interface DataApiProps {
  /** The service's API model (core/api/model.ts `apiModelsOf`). */
  readonly service: ApiServiceModel;
  /** The validated spec, bundled into the handler. */
  readonly spec: Spec;
  /** Spec table name -> the deployed table (the data stack's ServiceTables). */
  readonly tables: ReadonlyMap<string, dynamodb.ITable>;
  /** @default { kind: 'jwt' } with a user pool built here */
  readonly auth?: DataApiAuth;
  /** Steady-state requests per second per stage. @default 100 */
  readonly throttlingRateLimit?: number;
  /** @default 200 */
  readonly throttlingBurstLimit?: number;
  /** @default 'api' */
  readonly stageName?: string;
}

const pascal = (s: string): string => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * One service's generated REST API: API Gateway REST (Lambda proxy) with explicit resources per route,
 * request validation (path parameters, required headers, JSON Schema bodies rendered from the same zod
 * schemas as the OpenAPI document), an authorizer, stage throttling and JSON access logs; one Lambda over
 * the service's tables, allowed only the reads and conditional writes the spec declares; a generated
 * cursor key in Secrets Manager.
 *
 * The handler validates everything again: an emulator may deploy a request validator and enforce nothing,
 * and the handler's problems name the field where API Gateway's messages do not.
 */
export class DataApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly function: CutoverFunction;
  public readonly cursorSecret: secretsmanager.Secret;
  public readonly userPool?: cognito.IUserPool;
  /** The app client of the user pool the construct built (none when a pool was given). */
  public readonly userPoolClient?: cognito.UserPoolClient;
  public readonly accessLogs: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: DataApiProps) {
    super(scope, id);
    const { service } = props;
    const auth = props.auth ?? { kind: 'jwt' };
    for (const e of service.entities) {
      if (!props.tables.has(e.table))
        throw new Error(`DataApi ${service.service}: tables has no table "${e.table}" for entity ${e.entity}`);
    }
    for (const [name, v] of [
      ['throttlingRateLimit', props.throttlingRateLimit],
      ['throttlingBurstLimit', props.throttlingBurstLimit],
    ] as const) {
      if (v !== undefined && !Token.isUnresolved(v) && (!Number.isFinite(v) || v <= 0))
        throw new Error(`DataApi ${service.service}: ${name} must be a positive number, got ${v}`);
    }

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorKey', {
      description: `HMAC key of the ${service.service} API's page cursors (rotating it invalidates outstanding cursors)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The cursor key needs no scheduled rotation: it guards page positions, not data; rotate it by hand (clients then restart paging).',
    });

    const tableNames = Object.fromEntries(service.entities.map((e) => [e.table, props.tables.get(e.table)!.tableName]));
    this.function = new CutoverFunction(this, 'Handler', {
      functionDir: 'data-api',
      spec: props.spec,
      description: `cutover: the generated ${service.service} REST API`,
      timeout: Duration.seconds(29),
      environment: {
        DATA_API_SERVICE: service.service,
        DATA_API_TABLES: Stack.of(this).toJsonString(tableNames),
        CURSOR_SECRET_ARN: this.cursorSecret.secretArn,
        DATA_API_AUTH: auth.kind,
      },
    });
    acknowledgeFunctionFindings(this.function);
    this.cursorSecret.grantRead(this.function);
    const readTables = new Set(service.entities.map((e) => e.table));
    const writeTables = new Set(service.entities.filter((e) => e.writes).map((e) => e.table));
    for (const t of readTables) {
      // Explicit ARNs (the table and each declared index by name), so no wildcard reaches the policy.
      const table = props.tables.get(t)!;
      const indexes = [...new Set(service.entities.filter((e) => e.table === t).flatMap((e) => Object.keys(e.indexes)))];
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
          resources: [table.tableArn, ...indexes.map((i) => `${table.tableArn}/index/${i}`)],
        }),
      );
      if (writeTables.has(t))
        this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }));
    }

    ({ api: this.api, accessLogs: this.accessLogs } = loggedRestApi(this, {
      restApiName: `${Stack.of(this).stackName}-${service.service}`,
      description: `cutover: generated REST API of the ${service.service} service (OpenAPI at /openapi.json)`,
      stageName: props.stageName ?? 'api',
      throttlingRateLimit: props.throttlingRateLimit ?? 100,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
    }));
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'WAF is deployment-specific (rules, cost); attach a web ACL to the stage where the API faces the internet.',
    });

    let authorizer: apigw.IAuthorizer | undefined;
    let authorizationType = apigw.AuthorizationType.NONE;
    if (auth.kind === 'jwt') {
      this.userPool = auth.userPool ?? this.buildUserPool();
      if (!auth.userPool) {
        // An app client so the pool is usable as built: SRP sign-in for people, admin password auth for tools and tests.
        this.userPoolClient = this.userPool.addClient('Client', {
          authFlows: { userSrp: true, adminUserPassword: true },
          generateSecret: false,
        });
      }
      authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [this.userPool] });
      authorizationType = apigw.AuthorizationType.COGNITO;
    } else if (auth.kind === 'iam') {
      authorizationType = apigw.AuthorizationType.IAM;
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'This API authorizes callers with IAM (SigV4), not Cognito.',
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'Authorization was turned off explicitly (auth: none) for a private or test deployment.',
      });
      Validations.of(this.api).acknowledge({ id: 'AwsSolutions-COG4', reason: 'Authorization was turned off explicitly (auth: none).' });
    }

    // One invoke permission for the whole API instead of two per method: a 50-table service would
    // otherwise pass CloudFormation's 500-resource limit on permissions alone.
    const integration = new apigw.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false, scopePermissionToMethod: false });
    const validator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const secured: apigw.MethodOptions = { authorizer, authorizationType, requestValidator: validator };
    const open: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE };

    for (const path of ['health', 'openapi.json']) {
      const m = this.api.root.addResource(path).addMethod('GET', integration, open);
      Validations.of(m).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `/${path} is public by design (liveness, the API's own description).`,
      });
      Validations.of(m).acknowledge({ id: 'AwsSolutions-COG4', reason: `/${path} is public by design.` });
    }

    for (const e of service.entities) {
      for (const version of [1, ...e.versions.map((v) => v.version)]) {
        const collection = this.api.root.resourceForPath(`v${version}/${e.path}`);
        const listParams = Object.fromEntries(['limit', 'cursor', 'fields'].map((q) => [`method.request.querystring.${q}`, false]));
        collection.addMethod('GET', integration, { ...secured, requestParameters: listParams });
        let item = collection;
        for (const p of e.params) item = item.addResource(`{${p}}`);
        const pathParams = Object.fromEntries(e.params.map((p) => [`method.request.path.${p}`, true]));
        item.addMethod('GET', integration, { ...secured, requestParameters: pathParams });
        if (!e.writes) continue;
        const s = entitySchemas(e, version);
        const model = (name: string, schema: z.ZodType) =>
          this.api.addModel(`${pascal(e.entity)}V${version}${name}`, {
            contentType: 'application/json',
            modelName: `${pascal(e.entity)}V${version}${name}`,
            // An empty metadata registry: no ids, so no $ref to internal definitions, which API Gateway models cannot resolve.
            schema: z.toJSONSchema(schema, { target: 'draft-4', unrepresentable: 'any', metadata: z.registry() }) as apigw.JsonSchema,
          });
        item.addMethod('PUT', integration, {
          ...secured,
          requestParameters: pathParams,
          requestModels: { 'application/json': model('Put', s.put) },
        });
        item.addMethod('PATCH', integration, {
          ...secured,
          requestParameters: { ...pathParams, 'method.request.header.If-Match': true },
          requestModels: { 'application/json': model('Patch', s.patch) },
        });
      }
    }
  }

  private buildUserPool(): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional (TOTP): the API serves machine clients and staff tools that enrol per deployment policy.',
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan (threat protection) is a paid choice made per deployment, not by the kit.',
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason: 'Advanced security (threat protection) is a paid plan chosen per deployment.',
    });
    return pool;
  }

  /** IAM auth: lets a principal call every route of this API. */
  public grantInvoke(grantee: iam.IGrantable): void {
    this.api.methods.forEach((m) => m.grantExecute(grantee));
  }
}
