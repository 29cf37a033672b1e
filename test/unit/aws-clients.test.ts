import { SQSClient } from '@aws-sdk/client-sqs';

/*
 * The client factories trace SDK calls in Lambda's own runtime only: the tests, the CLI and the emulators
 * have no X-Ray daemon, so there a client must come back untouched.
 */
type Clients = typeof import('../../adapters/aws/clients');

const LAMBDA_ENV = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_NAME: 'fn' };

/** The module freshly loaded with these variables set, so its tracer and cached clients start empty. */
function loadWith(env: Record<string, string>): Clients {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let mod: Clients | undefined;
  try {
    jest.isolateModules(() => {
      mod = jest.requireActual<Clients>('../../adapters/aws/clients');
    });
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
  return mod!;
}

const middlewareNames = (client: SQSClient): string[] => client.middlewareStack.identify();

describe('Function: tracingEnabled', () => {
  it.each([
    [{}, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'fn' }, false],
    [LAMBDA_ENV, true],
    [{ ...LAMBDA_ENV, POWERTOOLS_TRACE_DISABLED: 'true' }, false],
    [{ ...LAMBDA_ENV, POWERTOOLS_TRACE_DISABLED: '1' }, false],
    [{ ...LAMBDA_ENV, POWERTOOLS_TRACE_DISABLED: 'false' }, true],
  ])('with %j is %s', (env, expected) => {
    // Prepare
    const { tracingEnabled } = loadWith({});
    // Act & Assess
    expect(tracingEnabled(env)).toBe(expected);
  });
});

describe('Function: instrumented', () => {
  it('returns the client untouched outside Lambda (jest, the CLI, an emulator without AWS_EXECUTION_ENV)', () => {
    // Prepare
    const { instrumented } = loadWith({});
    const client = new SQSClient({ region: 'us-east-1' });
    const before = middlewareNames(client);
    // Act
    const out = instrumented(client, {});
    // Assess
    expect(out).toBe(client);
    expect(middlewareNames(out)).toEqual(before);
  });

  it('adds the X-Ray middleware in a Lambda runtime with tracing on', () => {
    // Prepare
    const { instrumented } = loadWith(LAMBDA_ENV);
    const client = new SQSClient({ region: 'us-east-1' });
    const before = middlewareNames(client);
    // Act
    Object.assign(process.env, LAMBDA_ENV);
    let out: SQSClient;
    try {
      out = instrumented(client, LAMBDA_ENV);
    } finally {
      delete process.env.AWS_EXECUTION_ENV;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
    // Assess
    const added = middlewareNames(out).filter((n) => !before.includes(n));
    expect(added.some((n) => /xray/i.test(n))).toBe(true);
  });

  it('leaves the client untouched in Lambda when POWERTOOLS_TRACE_DISABLED is true', () => {
    // Prepare
    const env = { ...LAMBDA_ENV, POWERTOOLS_TRACE_DISABLED: 'true' };
    const { instrumented } = loadWith(env);
    const client = new SQSClient({ region: 'us-east-1' });
    const before = middlewareNames(client);
    // Act
    const out = instrumented(client, env);
    // Assess
    expect(middlewareNames(out)).toEqual(before);
  });
});

describe('Function: sqsClient', () => {
  it('makes one client per process', () => {
    // Prepare
    const { sqsClient, lambdaClient, dynamoDbClient, documentClient, secretsManagerClient } = loadWith({});
    // Act & Assess
    expect(sqsClient()).toBe(sqsClient());
    expect(lambdaClient()).toBe(lambdaClient());
    expect(dynamoDbClient()).toBe(dynamoDbClient());
    expect(documentClient()).toBe(documentClient());
    expect(secretsManagerClient()).toBe(secretsManagerClient());
  });

  it('traces the Secrets Manager client in a Lambda runtime, as every other client', () => {
    // Prepare
    const { secretsManagerClient } = loadWith(LAMBDA_ENV);
    Object.assign(process.env, LAMBDA_ENV);
    let names: string[];
    try {
      // Act
      names = secretsManagerClient().middlewareStack.identify();
    } finally {
      delete process.env.AWS_EXECUTION_ENV;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
    // Assess
    expect(names.some((n) => /xray/i.test(n))).toBe(true);
  });
});
