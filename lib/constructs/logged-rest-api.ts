import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface LoggedRestApiProps {
  readonly restApiName: string;
  readonly description: string;
  readonly stageName: string;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
}

/**
 * A REST API whose one stage is throttled, traced, with metrics, JSON access logs (kept a month) and
 * execution logs at ERROR, as every REST API of the kit has. Creates `AccessLogs` and `Api` under `scope`
 * (the ids the constructs had before they shared this, so deployed stacks keep their resources).
 */
export function loggedRestApi(scope: Construct, props: LoggedRestApiProps): { api: apigw.RestApi; accessLogs: logs.LogGroup } {
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const api = new apigw.RestApi(scope, 'Api', {
    restApiName: props.restApiName,
    description: props.description,
    cloudWatchRole: true,
    cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
    deployOptions: {
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
      metricsEnabled: true,
      tracingEnabled: true,
    },
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: "API Gateway's account-level role for execution logs: the AWS managed policy is the documented way to grant it.",
  });
  return { api, accessLogs };
}
