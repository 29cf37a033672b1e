import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag findings every CutoverFunction raises by construction, acknowledged with the reason. Call on
 * the function (the acknowledgement covers its role and policy, which are its children).
 */
export function acknowledgeFunctionFindings(fn: IConstruct): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "The AWS managed basic execution policy only allows writing the function's own CloudWatch logs.",
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires "*".',
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Node.js 22 is pinned on purpose: it is the newest runtime the emulators (LocalStack, MiniStack) run, and the tests ran on it.',
  });
}
