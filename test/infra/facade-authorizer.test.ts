import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { HttpFacade, type FacadeAuthorizer } from '../../lib/constructs/http-facade';
import { acknowledgements, nagFindings } from '../support/infra';

/* The façade's authorizer option: off by default, one of cognito / lambda / iam on the $default route. */
const spec = parseSpec(config);

function facade(authorizer?: (st: Stack) => FacadeAuthorizer): { stack: Stack; template: Template } {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'capability', type: dynamodb.AttributeType.STRING } });
  new HttpFacade(stack, 'F', {
    spec,
    routingTable: table,
    routingHistoryTable: table,
    monolithUrl: 'https://m.example.com',
    ...(authorizer ? { authorizer: authorizer(stack) } : {}),
  });
  return { stack, template: Template.fromStack(stack) };
}

const defaultRoute = (template: Template) => {
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Array<{ Properties: Record<string, unknown> }>;
  expect(routes).toHaveLength(1);
  expect(routes[0].Properties.RouteKey).toBe('$default');
  return routes[0].Properties;
};

describe('Construct: HttpFacade authorizer', () => {
  it('has none by default (AuthorizationType NONE) and says why in its APIG4 acknowledgement', () => {
    const { stack, template } = facade();
    expect(defaultRoute(template).AuthorizationType ?? 'NONE').toBe('NONE');
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    expect(acknowledgements(stack).map((a) => `${a.id}: ${a.reason}`)).toContainEqual(expect.stringMatching(/APIG4.*authorizer` prop/));
  });

  it('cognito: a JWT authorizer on the pool, with a client added when none is given', () => {
    const { stack, template } = facade((st) => ({ kind: 'cognito', userPool: new cognito.UserPool(st, 'Pool') }));
    expect(defaultRoute(template)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: expect.anything() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
    });
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    expect(acknowledgements(stack).filter((a) => a.id.includes('APIG4'))).toEqual([]);
  });

  it('lambda: a REQUEST authorizer with simple responses, the function allowed to be invoked by API Gateway', () => {
    const { template } = facade((st) => ({
      kind: 'lambda',
      function: new lambda.Function(st, 'Authz', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'i.h',
        code: lambda.Code.fromInline('exports.h=1'),
      }),
      identitySource: ['$request.header.X-Api-Key'],
    }));
    expect(defaultRoute(template)).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: expect.anything() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.X-Api-Key'],
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });

  it('iam: AWS_IAM on the route, no authorizer resource', () => {
    const { template } = facade(() => ({ kind: 'iam' }));
    expect(defaultRoute(template).AuthorizationType).toBe('AWS_IAM');
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('has no unacknowledged cdk-nag finding with an authorizer on', () => {
    const { stack } = facade(() => ({ kind: 'iam' }));
    expect(nagFindings(stack).filter((f) => f.includes('/F/'))).toEqual([]);
  });
});
