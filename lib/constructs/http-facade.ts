import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpIamAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
  HttpUserPoolAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTING_METRIC_NAMESPACE } from '../../core/routing/wire';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { acknowledgeFunctionFindings } from './function-acks';

/**
 * An authorizer in front of the façade. Off by default: the façade is transparent and clients keep the
 * authentication they use with the monolith today. Turn one on when the façade is also the point where
 * callers must prove who they are (an internal API, a partner channel): the Authorization header still
 * reaches the monolith and the new services unchanged.
 */
export type FacadeAuthorizer =
  | {
      /** JWTs issued by a Cognito user pool (AuthorizationType JWT). */
      readonly kind: 'cognito';
      readonly userPool: cognito.IUserPool;
      /** The app clients whose tokens are accepted. @default - one client is added to the pool */
      readonly userPoolClients?: readonly cognito.IUserPoolClient[];
    }
  | {
      /** Your Lambda decides (simple responses, `{ isAuthorized }`) (AuthorizationType CUSTOM). */
      readonly kind: 'lambda';
      readonly function: lambda.IFunction;
      /** @default ['$request.header.Authorization'] */
      readonly identitySource?: readonly string[];
      /** @default Duration.minutes(5) */
      readonly resultsCacheTtl?: Duration;
    }
  | {
      /** SigV4-signed requests from IAM principals allowed execute-api:Invoke (AuthorizationType AWS_IAM). */
      readonly kind: 'iam';
    };

export interface HttpFacadeProps {
  /** The validated spec; needs its `facade` and `routing` sections. */
  readonly spec: Spec;
  /** The routing table the event router reads (RoutingTables.table): the façade reads the same one. */
  readonly routingTable: dynamodb.ITable;
  /** The routing history table (named to the store; the façade never writes it). */
  readonly routingHistoryTable: dynamodb.ITable;
  /** Base URL of the monolith's HTTP API, e.g. `https://shop-internal.example.com`. Required: a façade with nothing behind it serves only errors. */
  readonly monolithUrl: string;
  /**
   * Base URL of the new implementation per routing capability. A capability without one is served by the
   * monolith whatever its mode (the Lambda logs it), so routes can be declared before their service exists.
   * @default - none
   */
  readonly candidateUrls?: Readonly<Record<string, string>>;
  /** @default '$default' (paths stay exactly what clients use today) */
  readonly stageName?: string;
  /** @default 200 requests per second */
  readonly throttlingRateLimit?: number;
  /** @default 400 */
  readonly throttlingBurstLimit?: number;
  /** @default - none: the façade passes requests through as the monolith receives them today */
  readonly authorizer?: FacadeAuthorizer;
}

/** Validates a base URL prop early, naming it (tokens are left to deploy time). */
function checkUrl(name: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`HttpFacade: ${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`HttpFacade: ${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  if (u.search || u.hash) throw new Error(`HttpFacade: ${name} must be a base URL without query or fragment, got ${JSON.stringify(value)}`);
}

/**
 * The HTTP strangler façade: an API Gateway HTTP API whose $default route sends every request (payload
 * 2.0) to a router Lambda, which proxies it to the monolith or the new implementation per the routing
 * table, and hands shadow copies to a second Lambda (asynchronous invoke) that compares and records
 * MismatchRate. Why an HTTP API and not a REST API: payload 2.0 keeps the raw path and query string
 * exactly as sent and separates cookies; it costs less and adds less latency; the request validation and
 * usage plans a REST API adds are not what a pass-through needs. Why a Lambda rather than API Gateway's
 * own HTTP integrations: routes move per customer bucket, by a table that changes at run time, with shadow
 * copies and comparisons: an integration can do none of that.
 */
export class HttpFacade extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly function: CutoverFunction;
  public readonly shadowFunction: CutoverFunction;
  public readonly accessLogs: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: HttpFacadeProps) {
    super(scope, id);
    const facade = props.spec.facade;
    if (!facade) throw new Error('HttpFacade: the spec has no facade section');
    if (!props.spec.routing) throw new Error('HttpFacade: the spec has no routing section (the façade routes by the routing table)');
    checkUrl('monolithUrl', props.monolithUrl);
    const capabilities = Object.keys(props.spec.routing.capabilities);
    for (const [capability, url] of Object.entries(props.candidateUrls ?? {})) {
      if (!capabilities.includes(capability))
        throw new Error(`HttpFacade: candidateUrls.${capability}: not a routing capability (known: ${capabilities.join(', ')})`);
      checkUrl(`candidateUrls.${capability}`, url);
    }
    for (const [name, v] of [
      ['throttlingRateLimit', props.throttlingRateLimit],
      ['throttlingBurstLimit', props.throttlingBurstLimit],
    ] as const) {
      if (v !== undefined && !Token.isUnresolved(v) && (!Number.isFinite(v) || v <= 0))
        throw new Error(`HttpFacade: ${name} must be a positive number, got ${v}`);
    }

    // Worst case of one request: every attempt times out, plus backoff and the table read.
    const budgetMs = facade.timeoutMs * (facade.retries + 1) + 200 * facade.retries + 1000;
    if (budgetMs > 29_000)
      throw new Error(
        `HttpFacade: facade.timeoutMs ${facade.timeoutMs} x (retries ${facade.retries} + 1) does not fit API Gateway's 30 s integration timeout`,
      );

    this.shadowFunction = new CutoverFunction(this, 'Shadow', {
      functionDir: 'facade-shadow',
      spec: props.spec,
      description: "cutover: sends the façade's shadow copies, compares them with the served answer, records MismatchRate",
      timeout: Duration.seconds(Math.ceil(facade.timeoutMs / 1000) + 10),
    });
    acknowledgeFunctionFindings(this.shadowFunction);
    // A shadow is a sample: retrying one would send a write twice and count it twice. Lost samples only
    // lower the comparison count, which the rollback thresholds' minSamples guard already reads.
    this.shadowFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });

    this.function = new CutoverFunction(this, 'Router', {
      functionDir: 'http-facade',
      spec: props.spec,
      description: 'cutover: the HTTP strangler façade (routes storefront requests to the monolith or the new services)',
      timeout: Duration.seconds(Math.min(29, Math.ceil(budgetMs / 1000) + 1)),
      memorySize: 512,
      environment: {
        MONOLITH_URL: props.monolithUrl,
        CANDIDATE_URLS: Stack.of(this).toJsonString(props.candidateUrls ?? {}),
        ROUTING_TABLE_NAME: props.routingTable.tableName,
        ROUTING_HISTORY_TABLE_NAME: props.routingHistoryTable.tableName,
        SHADOW_FUNCTION_NAME: this.shadowFunction.functionName,
      },
    });
    acknowledgeFunctionFindings(this.function);
    // The table is loaded whole (one consistent Scan per cache TTL), as the event router loads it.
    props.routingTable.grant(this.function, 'dynamodb:Scan');
    // The unqualified function only (grantInvoke would add every version and alias with a `:*`).
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.shadowFunction.functionArn] }),
    );
    for (const fn of [this.function, this.shadowFunction]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': ROUTING_METRIC_NAMESPACE } },
        }),
      );
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the routing namespace by the cloudwatch:namespace condition. X-Ray likewise needs "*".',
      });
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const defaultAuthorizer = this.authorizerFor(props.authorizer);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      ...(defaultAuthorizer ? { defaultAuthorizer } : {}),
      apiName: `${Stack.of(this).stackName}-facade`,
      description: "cutover: HTTP strangler façade in front of the monolith's storefront API",
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Router', this.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.stage = this.api.addStage('Stage', {
      stageName: props.stageName ?? '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit ?? 200, burstLimit: props.throttlingBurstLimit ?? 400 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs) },
      detailedMetricsEnabled: true,
    });
    if (!props.authorizer)
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The façade is transparent by default: clients keep the authentication they use with the monolith today (sessions, its tokens), which the monolith and the new services verify. The `authorizer` prop turns one on.',
      });
  }

  private authorizerFor(a: FacadeAuthorizer | undefined): apigwv2.IHttpRouteAuthorizer | undefined {
    if (!a) return undefined;
    switch (a.kind) {
      case 'cognito': {
        const clients = a.userPoolClients?.length ? [...a.userPoolClients] : [a.userPool.addClient('FacadeClient')];
        return new HttpUserPoolAuthorizer('FacadeAuthorizer', a.userPool, { userPoolClients: clients });
      }
      case 'lambda':
        return new HttpLambdaAuthorizer('FacadeAuthorizer', a.function, {
          responseTypes: [HttpLambdaResponseType.SIMPLE],
          identitySource: a.identitySource ? [...a.identitySource] : undefined,
          resultsCacheTtl: a.resultsCacheTtl ?? Duration.minutes(5),
        });
      case 'iam':
        return new HttpIamAuthorizer();
      default:
        throw new Error(
          `HttpFacade: authorizer.kind must be cognito, lambda or iam, got ${JSON.stringify((a as { kind?: unknown }).kind)}`,
        );
    }
  }

  /** The façade's base URL (the stage's invoke URL). */
  public get url(): string {
    return this.stage.url;
  }
}
