import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';

/*
 * SDK clients, created once per process. The SDK reads AWS_ENDPOINT_URL itself, so the same code talks to
 * AWS, LocalStack or MiniStack: nothing here branches on "am I local". Handlers take clients as optional
 * parameters so tests can inject their own.
 */
let ddb: DynamoDBDocumentClient | undefined;
let events: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}

export function eventBridgeClient(): EventBridgeClient {
  events ??= new EventBridgeClient({});
  return events;
}

export function stepFunctionsClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}
