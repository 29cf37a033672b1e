import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { ApiStack } from '../../lib/stacks/api-stack';
import { BridgeStack } from '../../lib/stacks/bridge-stack';
import { DataStack } from '../../lib/stacks/data-stack';
import { acknowledgements, actionsOf, iamStatements, nagFindings, wildcardActions } from '../support/infra';

/*
 * The synthesized API stack (one DataApi per service of the reference api section), bundling skipped.
 * The request validator is asserted here because MiniStack deploys one and enforces nothing.
 */
let spec: Spec;
let stack: ApiStack;
let data: DataStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const bridge = new BridgeStack(app, 'Test-Bridge', { spec });
  data = new DataStack(app, 'Test-Data', { spec, servicesBus: bridge.servicesBus });
  stack = new ApiStack(app, 'Test-Api', { spec, tables: data.tables.tables });
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;

describe('Stack: ApiStack', () => {
  it('builds one REST API per service with a Lambda proxy and a cursor key', () => {
    // Assess
    expect([...stack.apis.keys()].sort()).toEqual(['catalog', 'customers', 'orders']);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 3);
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    expect(
      Object.values(ofType('AWS::Lambda::Function')).filter(
        (f) => (f.Properties.Environment as { Variables: Record<string, unknown> })?.Variables?.DATA_API_SERVICE,
      ),
    ).toHaveLength(3);
  });

  it('validates parameters and bodies, and the PUT model is the entity schema (additionalProperties false)', () => {
    // Assess
    const validators = Object.values(ofType('AWS::ApiGateway::RequestValidator'));
    expect(validators).toHaveLength(3);
    for (const v of validators) expect(v.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const put = Object.values(ofType('AWS::ApiGateway::Model')).find((m) => m.Properties.Name === 'ProductsV1Put')!;
    expect(put.Properties.Schema).toMatchObject({ type: 'object', additionalProperties: false, properties: { price: { type: 'string' } } });
    const patchMethods = Object.values(ofType('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod === 'PATCH');
    expect(patchMethods.length).toBeGreaterThan(0);
    for (const m of patchMethods) expect(m.Properties.RequestParameters).toMatchObject({ 'method.request.header.If-Match': true });
  });

  it('authorizes every data route with Cognito; only /health and /openapi.json are open', () => {
    // Assess
    const methods = Object.values(ofType('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    const open = methods.filter((m) => m.Properties.AuthorizationType === 'NONE');
    expect(open).toHaveLength(6);
    expect(methods.filter((m) => m.Properties.AuthorizationType === 'COGNITO_USER_POOLS').length).toBe(methods.length - 6);
  });

  it('throttles the stage and writes JSON access logs', () => {
    // Assess
    for (const s of Object.values(ofType('AWS::ApiGateway::Stage'))) {
      expect(s.Properties.MethodSettings).toEqual(
        expect.arrayContaining([expect.objectContaining({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })]),
      );
      expect(s.Properties.AccessLogSetting).toMatchObject({
        DestinationArn: expect.anything(),
        Format: expect.stringContaining('requestId'),
      });
    }
  });

  it('grants writes only where the spec allows them, and no wildcard actions', () => {
    // Assess
    const statements = iamStatements(template).map(({ where, s }) => ({ where, actions: actionsOf(s) }));
    const puts = statements.filter((s) => s.actions.includes('dynamodb:PutItem'));
    // catalog (its catalog and inventory tables) and customers; orders is read-only
    expect(puts.map((p) => p.where.replace(/^AWS::IAM::Policy (\w+?)Api.*$/, '$1')).sort()).toEqual(['Catalog', 'Catalog', 'Customers']);
    expect(statements.some((s) => s.where.includes('OrdersApi') && s.actions.includes('dynamodb:PutItem'))).toBe(false);
    expect(wildcardActions(template)).toEqual([]);
  });

  it('has no unacknowledged cdk-nag findings and every acknowledgement has a reason', () => {
    // Assess
    expect(nagFindings(stack)).toEqual([]);
    for (const a of acknowledgements(stack)) expect(a.reason.length).toBeGreaterThan(20);
  });

  it("creates the GSIs the API queries on the data stack's tables", () => {
    // Assess
    const tables = Template.fromStack(data).findResources('AWS::DynamoDB::Table') as Resources;
    const orders = Object.values(tables).find((t) => String(t.Properties.TableName).endsWith('orders'))!;
    expect(orders.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: 'byCustomer', Projection: { ProjectionType: 'ALL' } }),
    ]);
  });
});
