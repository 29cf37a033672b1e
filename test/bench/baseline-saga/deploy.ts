import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateFunctionCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sdkConfig } from '../../e2e/harness';

/*
 * The baseline beside the reference saga, for the saga-ministack bench: a state machine of the same number
 * of Lambda steps as the reference saga's forward path (five), each one DynamoDB write, with no bridge, no
 * audit, no events, no compensations. Deployed straight through the SDK into the emulator the reference
 * stacks run on (no CloudFormation: it is bench scaffolding, not part of the kit), once; a second call finds
 * it and returns its ARN.
 */
export const BASELINE_STEPS = ['ReserveInventory', 'AuthorizePayment', 'ScheduleShipping', 'ConfirmOrder', 'Notify'] as const;
const PREFIX = 'cutover-baseline';
const ROLE = 'arn:aws:iam::000000000000:role/cutover-baseline';

export interface BaselineSaga {
  readonly stateMachineArn: string;
  readonly tableName: string;
}

function bundle(): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutover-baseline-'));
  try {
    buildSync({
      entryPoints: [path.join(__dirname, 'step.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: path.join(dir, 'index.js'),
      logLevel: 'silent',
    });
    writeFileSync(path.join(dir, 'package.json'), '{}');
    execFileSync('zip', ['-q', '-j', path.join(dir, 'code.zip'), path.join(dir, 'index.js')]);
    return readFileSync(path.join(dir, 'code.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function deployBaselineSaga(endpoint: string): Promise<BaselineSaga> {
  const config = sdkConfig(endpoint);
  const ddb = new DynamoDBClient(config);
  const lambda = new LambdaClient(config);
  const sfn = new SFNClient(config);
  const tableName = `${PREFIX}-steps`;
  await ddb
    .send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    )
    .catch((err: Error) => {
      if (err.name !== 'ResourceInUseException') throw err;
    });
  await ddb.send(new DescribeTableCommand({ TableName: tableName }));

  let code: Buffer | undefined;
  const arns: string[] = [];
  for (const step of BASELINE_STEPS) {
    const name = `${PREFIX}-${step}`;
    const existing = await lambda.send(new GetFunctionCommand({ FunctionName: name })).catch(() => undefined);
    if (existing?.Configuration?.FunctionArn) {
      arns.push(existing.Configuration.FunctionArn);
      continue;
    }
    code ??= bundle();
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: code },
        Timeout: 30,
        MemorySize: 256,
        Environment: { Variables: { BASELINE_TABLE_NAME: tableName, BASELINE_STEP: step } },
      }),
    );
    arns.push(created.FunctionArn!);
  }

  const smName = `${PREFIX}-saga`;
  const listed = await sfn.send(new ListStateMachinesCommand({}));
  const found = listed.stateMachines?.find((m) => m.name === smName);
  if (found?.stateMachineArn) return { stateMachineArn: found.stateMachineArn, tableName };
  const states: Record<string, unknown> = {};
  BASELINE_STEPS.forEach((step, i) => {
    states[step] = {
      Type: 'Task',
      Resource: arns[i],
      ...(i + 1 < BASELINE_STEPS.length ? { Next: BASELINE_STEPS[i + 1] } : { End: true }),
    };
  });
  const sm = await sfn.send(
    new CreateStateMachineCommand({
      name: smName,
      roleArn: ROLE,
      type: 'STANDARD',
      definition: JSON.stringify({
        Comment: 'cutover bench baseline: five Lambda steps, one write each',
        StartAt: BASELINE_STEPS[0],
        States: states,
      }),
    }),
  );
  return { stateMachineArn: sm.stateMachineArn!, tableName };
}
