import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { HttpFacade, type FacadeAuthorizer } from '../constructs/http-facade';
import { OUTPUTS } from '../../core/contract';

export interface FacadeStackProps extends StackProps {
  readonly spec: Spec;
  readonly routingTable: dynamodb.ITable;
  readonly routingHistoryTable: dynamodb.ITable;
  /** See HttpFacadeProps.monolithUrl. */
  readonly monolithUrl: string;
  /** See HttpFacadeProps.candidateUrls. */
  readonly candidateUrls?: Readonly<Record<string, string>>;
  /** See HttpFacadeProps.authorizer. @default - none */
  readonly authorizer?: FacadeAuthorizer;
}

/** Output keys the CLI, tests and demo read. */
export const FACADE_OUTPUTS = OUTPUTS.facade;

/** The HTTP strangler façade (issue 13 §2). */
export class FacadeStack extends Stack {
  public readonly facade: HttpFacade;

  public constructor(scope: Construct, id: string, props: FacadeStackProps) {
    super(scope, id, props);
    this.facade = new HttpFacade(this, 'Facade', props);
    new CfnOutput(this, FACADE_OUTPUTS.url, {
      value: this.facade.url,
      description: 'Point storefront clients here (or map your domain to it)',
    });
    new CfnOutput(this, FACADE_OUTPUTS.apiId, { value: this.facade.api.apiId });
    new CfnOutput(this, FACADE_OUTPUTS.stage, { value: this.facade.stage.stageName });
    new CfnOutput(this, FACADE_OUTPUTS.functionName, { value: this.facade.function.functionName });
    new CfnOutput(this, FACADE_OUTPUTS.shadowFunctionName, { value: this.facade.shadowFunction.functionName });
  }
}
