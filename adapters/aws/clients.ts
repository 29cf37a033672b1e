import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

/*
 * SDK clients, created once per process. The SDK reads AWS_ENDPOINT_URL itself, so the same code talks to
 * AWS, LocalStack or MiniStack: nothing here branches on "am I local". Handlers take clients as optional
 * parameters so tests can inject their own.
 *
 * This is also the one place SDK clients are traced: in a Lambda runtime with tracing on, each client is
 * wrapped by Powertools Tracer's `captureAWSv3Client`, so every AWS call is a subsegment of the function's
 * X-Ray trace. Anywhere else (tests, the CLI, an emulator's runtime) there is no X-Ray daemon and the
 * client is returned as it is, without a tracer ever being made.
 */
let ddb: DynamoDBDocumentClient | undefined;
let dynamo: DynamoDBClient | undefined;
let events: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;
let sqs: SQSClient | undefined;
let lambda: LambdaClient | undefined;
let tracer: Tracer | undefined;

const OFF = new Set(['1', 'true', 'yes', 'on']);

/**
 * Whether SDK calls are traced: only in Lambda's own runtime (AWS_EXECUTION_ENV, which Lambda sets and
 * the CLI, jest and the emulators do not) and unless POWERTOOLS_TRACE_DISABLED turns it off.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.AWS_EXECUTION_ENV ?? '').startsWith('AWS_Lambda_') && !OFF.has((env.POWERTOOLS_TRACE_DISABLED ?? '').trim().toLowerCase());
}

/** The client, traced when `tracingEnabled()`; otherwise the same object untouched. */
export function instrumented<T>(client: T, env: NodeJS.ProcessEnv = process.env): T {
  if (!tracingEnabled(env)) return client;
  tracer ??= new Tracer();
  return tracer.captureAWSv3Client(client);
}

/** The plain DynamoDB client (traced in Lambda). */
export function dynamoDbClient(): DynamoDBClient {
  dynamo ??= instrumented(new DynamoDBClient({}));
  return dynamo;
}

export function documentClient(): DynamoDBDocumentClient {
  // The document client sends through the wrapped client's middleware stack: tracing the inner one traces both.
  ddb ??= DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}

export function eventBridgeClient(): EventBridgeClient {
  events ??= instrumented(new EventBridgeClient({}));
  return events;
}

export function stepFunctionsClient(): SFNClient {
  sfn ??= instrumented(new SFNClient({}));
  return sfn;
}

export function sqsClient(): SQSClient {
  sqs ??= instrumented(new SQSClient({}));
  return sqs;
}

export function lambdaClient(): LambdaClient {
  lambda ??= instrumented(new LambdaClient({}));
  return lambda;
}

let s3: S3Client | undefined;

export function s3Client(): S3Client {
  s3 ??= instrumented(new S3Client({}));
  return s3;
}

let secrets: SecretsManagerClient | undefined;

/** Secrets Manager (the monolith's connection URL; traced in Lambda like the others). */
export function secretsManagerClient(): SecretsManagerClient {
  secrets ??= instrumented(new SecretsManagerClient({}));
  return secrets;
}
