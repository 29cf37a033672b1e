import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { loggedRestApi } from './logged-rest-api';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../core/errors';
import { CARRIER_PROVIDERS } from '../../core/providers/carrier';
import type { ReferenceRules } from '../../core/saga/reference';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';

export interface CarrierWebhookProps {
  readonly spec: Spec;
  /** Where the verified carrier event is put (the saga's CarrierAnswers rule listens there). */
  readonly servicesBus: events.IEventBus;
  /** The saga's callback registry: an event is matched to a waiting ScheduleShipping by order id. */
  readonly callbacksTable: dynamodb.ITable;
  /**
   * The shared signing secret: its text, or JSON `{"current": "...", "previous": "..."}` during a rotation.
   * @default - one is generated (JSON with `current`); give its value to the carrier
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * The carrier provider that verifies and reads the webhooks (CARRIER_PROVIDER).
   * @default 'sandbox'
   */
  readonly provider?: string;
  /** @default - core/saga/reference.ts defaults */
  readonly referenceRules?: Partial<ReferenceRules>;
  /** @default 'carrier' */
  readonly stageName?: string;
  /** @default 50 requests per second */
  readonly throttlingRateLimit?: number;
  /** @default 100 */
  readonly throttlingBurstLimit?: number;
  /** @default RemovalPolicy.RETAIN (the event-id table) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * POST /carrier/webhook: an API Gateway REST API (Lambda proxy) where the carrier reports a shipment
 * dispatched or failed. The Lambda verifies the HMAC signature with the secret from Secrets Manager, refuses
 * stale and replayed requests (an event-id table with TTL), and puts a good event on the services bus as the
 * service event the saga already waits for, so the shipping service records it and resumes the saga. A
 * genuine event no saga waits for goes to the quarantine queue.
 *
 * No API Gateway authorizer: the HMAC signature over the body is the authentication, and a REST authorizer
 * never sees the body (a carrier cannot sign with SigV4 or hold a Cognito token either). Unsigned requests
 * are refused by the Lambda with 401 before anything is read or stored.
 */
export class CarrierWebhook extends Construct {
  public readonly api: apigw.RestApi;
  public readonly function: CutoverFunction;
  public readonly secret: secretsmanager.ISecret;
  public readonly eventsTable: dynamodb.Table;
  public readonly quarantineQueue: sqs.Queue;
  public readonly accessLogs: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: CarrierWebhookProps) {
    super(scope, id);
    const provider = props.provider ?? 'sandbox';
    if (!(CARRIER_PROVIDERS as readonly string[]).includes(provider))
      throw new ConfigurationError(
        `CarrierWebhook: provider ${JSON.stringify(provider)} is not a carrier provider (known: ${CARRIER_PROVIDERS.join(', ')})`,
        {
          setting: 'provider',
        },
      );
    for (const [name, v] of [
      ['throttlingRateLimit', props.throttlingRateLimit],
      ['throttlingBurstLimit', props.throttlingBurstLimit],
    ] as const) {
      if (v !== undefined && !Token.isUnresolved(v) && (!Number.isFinite(v) || v <= 0))
        throw new ConfigurationError(`CarrierWebhook: ${name} must be a positive number, got ${v}`, { setting: name });
    }

    if (props.secret) this.secret = props.secret;
    else {
      const generated = new secretsmanager.Secret(this, 'SigningSecret', {
        description: 'HMAC-SHA256 key the carrier signs its webhooks with (JSON: current, and previous while rotating)',
        generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'current', passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.DESTROY,
      });
      Validations.of(generated).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The key is shared with the carrier: rotation is a coordinated change (set "previous", give the carrier the new "current", then drop "previous"), not a schedule.',
      });
      this.secret = generated;
    }

    this.eventsTable = new dynamodb.Table(this, 'EventsTable', {
      partitionKey: { name: 'eventId', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Kept 14 days like every dead-letter queue, watched by the operations dashboard like them.
    this.quarantineQueue = deadLetterQueue(this, 'Quarantine');

    this.function = new CutoverFunction(this, 'Handler', {
      functionDir: 'carrier-webhook',
      spec: props.spec,
      description: "cutover: the carrier's signed webhook -> the services bus (shipment.dispatched), or quarantine",
      timeout: Duration.seconds(29),
      environment: {
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        SAGA_CALLBACKS_TABLE_NAME: props.callbacksTable.tableName,
        CARRIER_WEBHOOK_SECRET_ARN: this.secret.secretArn,
        CARRIER_WEBHOOK_EVENTS_TABLE_NAME: this.eventsTable.tableName,
        CARRIER_QUARANTINE_QUEUE_URL: this.quarantineQueue.queueUrl,
        CARRIER_PROVIDER: provider,
        ...(props.referenceRules ? { REFERENCE_RULES: JSON.stringify(props.referenceRules) } : {}),
      },
    });
    acknowledgeFunctionFindings(this.function);
    this.secret.grantRead(this.function);
    this.eventsTable.grant(this.function, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    props.callbacksTable.grant(this.function, 'dynamodb:GetItem');
    this.quarantineQueue.grantSendMessages(this.function);
    props.servicesBus.grantPutEventsTo(this.function);

    ({ api: this.api, accessLogs: this.accessLogs } = loggedRestApi(this, {
      restApiName: `${Stack.of(this).stackName}-carrier-webhook`,
      description: "cutover: the carrier's signed webhooks (POST /carrier/webhook)",
      stageName: props.stageName ?? 'carrier',
      throttlingRateLimit: props.throttlingRateLimit ?? 50,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
    }));
    const method = this.api.root
      .addResource('carrier')
      .addResource('webhook')
      .addMethod('POST', new apigw.LambdaIntegration(this.function, { proxy: true }), { authorizationType: apigw.AuthorizationType.NONE });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        "WAF is deployment-specific (rules, cost); attach a web ACL to the stage, e.g. allowing only the carrier's published IP ranges.",
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The Lambda validates every request (signature first, then the body against the schema, naming the field); a REST request validator cannot check an HMAC.',
    });
    for (const ruleId of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(method).acknowledge({
        id: ruleId,
        reason:
          'Authenticated by the HMAC-SHA256 signature over timestamp and body, checked in the Lambda: an authorizer never sees the body, and a carrier cannot sign with SigV4 or hold a Cognito token.',
      });
    }
  }

  /** The full URL to give the carrier. */
  public get url(): string {
    return this.api.urlForPath('/carrier/webhook');
  }
}
