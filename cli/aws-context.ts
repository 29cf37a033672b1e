import { CloudFormationClient, paginateDescribeStacks, type Stack } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { CutoverError } from '../core/errors';
import type { OutputKey } from '../core/contract';

/** A problem the user can fix: the message says what is wrong, `fix` says what to do. Exit code 2. */
export class CliError extends CutoverError {
  public constructor(
    problem: string,
    public readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${problem}\n  fix: ${fix}`, { fix }, options);
  }
}

export const DEFAULT_PREFIX = 'Cutover';

/** The global options every command inherits (`cutover --prefix X --region Y --profile Z <command>`). */
export interface GlobalOptions {
  readonly prefix?: string;
  readonly region?: string;
  readonly profile?: string;
}

export interface StackOutput {
  readonly stack: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Where the CLI talks to: region, profile and endpoint resolved like the AWS CLI does (the SDK reads
 * AWS_REGION / AWS_PROFILE / AWS_ENDPOINT_URL / ~/.aws itself; --region and --profile override), and the
 * deployed resource names read from the outputs of the stacks named `<prefix>-*`.
 */
export class AwsContext {
  public readonly prefix: string;
  private readonly clientConfig: { region?: string; profile?: string };
  private outputsPromise?: Promise<Map<string, StackOutput[]>>;
  private eb?: EventBridgeClient;
  private ddb?: DynamoDBDocumentClient;
  private cfn?: CloudFormationClient;

  public constructor(
    options: GlobalOptions = {},
    clients: { cloudFormation?: CloudFormationClient; eventBridge?: EventBridgeClient; dynamo?: DynamoDBDocumentClient } = {},
  ) {
    this.prefix = options.prefix ?? process.env.CUTOVER_PREFIX ?? DEFAULT_PREFIX;
    this.clientConfig = { ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) };
    this.cfn = clients.cloudFormation;
    this.eb = clients.eventBridge;
    this.ddb = clients.dynamo;
  }

  /** The global options of the command being run. */
  public static fromCommand(command: Command): AwsContext {
    return new AwsContext(command.optsWithGlobals<GlobalOptions>());
  }

  /** Where requests go, in words, for messages. */
  public describeTarget(): string {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    const region = this.clientConfig.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '(default region)';
    return endpoint
      ? `${endpoint} (region ${region})`
      : `AWS region ${region}${this.clientConfig.profile ? `, profile ${this.clientConfig.profile}` : ''}`;
  }

  public eventBridge(): EventBridgeClient {
    this.eb ??= new EventBridgeClient(this.clientConfig);
    return this.eb;
  }

  public documentClient(): DynamoDBDocumentClient {
    this.ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({ ...this.clientConfig, maxAttempts: 5 }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    return this.ddb;
  }

  /** Region and profile from the global options, for SDK clients this context does not keep. */
  public sdkConfig(): { region?: string; profile?: string } {
    return { ...this.clientConfig };
  }

  public cloudFormation(): CloudFormationClient {
    this.cfn ??= new CloudFormationClient(this.clientConfig);
    return this.cfn;
  }

  /** A deployed name, by output key (LegacyBusName, AuditTableName...). Throws naming the key and the fix. */
  public async output(key: OutputKey): Promise<string> {
    const outputs = await this.outputs();
    const hits = outputs.get(key) ?? [];
    if (hits.length === 1) return hits[0].value;
    if (hits.length === 0) {
      const stacks = [...new Set([...outputs.values()].flat().map((o) => o.stack))];
      throw new CliError(
        `no stack output ${key} in the ${stacks.length} stack(s) named ${this.prefix}-* at ${this.describeTarget()}${stacks.length ? ` (${stacks.join(', ')})` : ''}`,
        stacks.length === 0
          ? `deploy first (localstack/deploy.sh or npx cdk deploy --all), or pass --prefix / set CUTOVER_PREFIX to the prefix the stacks were deployed with`
          : `redeploy the stacks (the output is added by the current version), or name the resource with the command's override option`,
      );
    }
    throw new CliError(
      `stack output ${key} exists in ${hits.map((h) => h.stack).join(' and ')}`,
      `use a more specific --prefix so only one copy of the stacks matches`,
    );
  }

  /** Every output of every `<prefix>-*` stack, read once. */
  public outputs(): Promise<Map<string, StackOutput[]>> {
    this.outputsPromise ??= this.readOutputs();
    return this.outputsPromise;
  }

  private async readOutputs(): Promise<Map<string, StackOutput[]>> {
    const stacks: Stack[] = [];
    try {
      for await (const page of paginateDescribeStacks({ client: this.cloudFormation() }, {})) stacks.push(...(page.Stacks ?? []));
    } catch (cause) {
      throw explainAwsError(cause, `could not list CloudFormation stacks at ${this.describeTarget()}`);
    }
    const byKey = new Map<string, StackOutput[]>();
    for (const s of stacks) {
      if (!s.StackName?.startsWith(`${this.prefix}-`) || /DELETE_COMPLETE/.test(s.StackStatus ?? '')) continue;
      for (const o of s.Outputs ?? []) {
        if (!o.OutputKey || o.OutputValue === undefined) continue;
        const list = byKey.get(o.OutputKey) ?? [];
        list.push({ stack: s.StackName, key: o.OutputKey, value: o.OutputValue });
        byKey.set(o.OutputKey, list);
      }
    }
    return byKey;
  }
}

/** Turns the SDK's credential and connection errors into a problem and a fix. */
export function explainAwsError(cause: unknown, doing: string): Error {
  const name = cause instanceof Error ? cause.name : '';
  const message = cause instanceof Error ? cause.message : String(cause);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CliError(
      `${doing}: no AWS credentials`,
      'set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; for an emulator: source localstack/env.sh http://127.0.0.1:4566',
      { cause },
    );
  }
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up|connect ETIMEDOUT/i.test(message) ||
    (cause as { code?: string })?.code === 'ECONNREFUSED'
  ) {
    return new CliError(
      `${doing}: cannot connect (${message})`,
      'check AWS_ENDPOINT_URL; for an emulator start it first (npm run local) and point AWS_ENDPOINT_URL at it',
      { cause },
    );
  }
  if (/Region is missing/i.test(message)) {
    return new CliError(`${doing}: no region`, 'set AWS_REGION or pass --region', { cause });
  }
  if (name === 'ResourceNotFoundException') {
    return new CliError(`${doing}: ${message}`, 'the stack outputs may point at a deleted resource: redeploy, or check --prefix', {
      cause,
    });
  }
  return cause instanceof Error ? cause : new Error(message);
}
