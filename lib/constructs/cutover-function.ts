import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import * as path from 'node:path';
import type { Spec } from '../../core/spec';
import { ENV, type FunctionEnvironment } from '../../core/contract';

export interface CutoverFunctionProps {
  /** Folder under functions/ holding handler.ts. */
  readonly functionDir: string;
  /** The validated migration spec, bundled into the function as JSON. */
  readonly spec: Spec;
  /** The function's environment: names from core/contract.ts ENV, which the handlers read. @default - none */
  readonly environment?: FunctionEnvironment;
  /**
   * Emulators start a node process per cold invocation, so the default leaves room for that.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  readonly description?: string;
  /** Run in a VPC (a function that reaches a private database). @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

export const FUNCTIONS_ROOT = path.join(__dirname, '..', '..', 'functions');

/**
 * Every cutover Lambda: Node 22, the AWS SDK bundled in (emulators substitute partial stand-ins for a
 * missing SDK, and a pinned SDK is what the tests ran against), the spec bundled in as JSON, JSON logs
 * with a retention, X-Ray tracing.
 */
export class CutoverFunction extends NodejsFunction {
  /** The folder under functions/ this function is built from. */
  public readonly functionDir: string;

  public constructor(scope: Construct, id: string, props: CutoverFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    super(scope, id, {
      entry: path.join(FUNCTIONS_ROOT, props.functionDir, 'handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.X86_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      description: props.description,
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups } : {}),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        externalModules: [],
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        // A Lambda error's name is its Step Functions error type: minification must not rename error classes.
        keepNames: true,
        sourceMap: true,
        define: { [`process.env.${ENV.cutoverSpecJson}`]: JSON.stringify(JSON.stringify(props.spec)) },
      },
    });
    this.functionDir = props.functionDir;
  }
}
