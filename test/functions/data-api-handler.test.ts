import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { createServiceTables, spec } from './data-api-fixtures';

/*
 * The deployed entry point: functions/data-api/handler.ts as API Gateway (REST, Lambda proxy) calls it,
 * with its environment, the cursor key from Secrets Manager (mocked) and DynamoDB (dynalite, reached
 * through AWS_ENDPOINT_URL as on an emulator). Checks the proxy event/result mapping and the route metrics.
 */
const secrets = mockClient(SecretsManagerClient);

function event(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      stage: 'api',
      path: `/api${path}`,
      httpMethod: method,
      identity: { sourceIp: '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('Function: data-api handler', () => {
  let db: LocalDynamo;
  let handler: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;
  const saved = { ...process.env };
  let stdout: jest.SpyInstance;

  beforeAll(async () => {
    db = await startDynalite();
    const tables = await createServiceTables(db);
    Object.assign(process.env, {
      DATA_API_SERVICE: 'catalog',
      DATA_API_TABLES: JSON.stringify(tables),
      CURSOR_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:cursor',
      CUTOVER_SPEC_JSON: JSON.stringify(spec),
      AWS_ENDPOINT_URL: db.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'cursor-key-from-secrets-manager-0123' });
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    ({ handler } = (await import('../../functions/data-api/handler')) as unknown as { handler: typeof handler });
  });
  afterAll(async () => {
    process.env = saved;
    jest.restoreAllMocks();
    secrets.reset();
    await db.stop();
  });

  it('serves a REST proxy event: create then read, with ETag and problem+json', async () => {
    // Act
    const created = await handler(
      event('PUT', '/v1/products/H-1', { body: { name: 'From a proxy event', price: '2.50' }, headers: { 'if-none-match': '*' } }),
      {} as Context,
    );
    const read = await handler(event('GET', '/v1/products/H-1'), {} as Context);
    const bad = await handler(event('GET', '/v1/products', { query: { colour: 'red' } }), {} as Context);

    // Assess
    expect(created.statusCode).toBe(201);
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body)).toEqual({ sku: 'H-1', name: 'From a proxy event', price: '2.50' });
    expect(read.headers?.etag ?? read.multiValueHeaders?.etag?.[0]).toBe('"v1"');
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'colour', value: 'red' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('publishes Powertools metrics per route (count, latency, 4xx, 5xx) as EMF', async () => {
    // Prepare
    stdout.mockClear();
    const logged = jest.spyOn(console, 'log');
    logged.mockClear();

    // Act
    await handler(event('GET', '/v1/products/none'), {} as Context);

    // Assess
    const lines = [...stdout.mock.calls.map((c) => String(c[0])), ...logged.mock.calls.map((c) => String(c[0]))].filter((l) =>
      l.includes('_aws'),
    );
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.route === 'GET /v1/products/:sku');
    expect(emf).toMatchObject({ Requests: 1, '4xx': 1, '5xx': 0, service: 'data-api-catalog' });
    expect(typeof emf?.Latency).toBe('number');
  });
});
