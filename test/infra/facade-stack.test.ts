import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ROUTING_METRIC_NAMESPACE } from '../../core/routing';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { HttpFacade } from '../../lib/constructs/http-facade';
import { FACADE_OUTPUTS, type FacadeStack } from '../../lib/stacks/facade-stack';
import { acknowledgements, iamStatements, nagFindings } from '../support/infra';

/* The synthesized façade stack, built once with the reference spec (bundling skipped). */
let spec: Spec;
let stack: FacadeStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = buildCutoverApp(app, {
    spec,
    prefix: 'Test',
    nag: false,
    facade: { monolithHttpUrl: 'https://shop-internal.example.com', candidateUrls: { customers: 'https://customers.example.com/v1' } },
  }).facade!;
  template = Template.fromStack(stack);
});

const envOf = (fnPath: string): Record<string, unknown> => {
  const fns = template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Environment?: { Variables: Record<string, unknown> } } }
  >;
  const id = stack.getLogicalId(stack.node.findChild('Facade').node.findChild(fnPath).node.defaultChild as never);
  return fns[id].Properties.Environment!.Variables;
};

describe('Stack: FacadeStack', () => {
  it.each(Object.values(FACADE_OUTPUTS))('exports %s', (key) => {
    expect(Object.keys(template.findOutputs(key))).toEqual([key]);
  });

  it('is an HTTP API whose $default route sends everything to the router Lambda with payload 2.0', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400, DetailedMetricsEnabled: true }),
    });
  });

  it('gives the router the monolith, the candidates, the routing table and the shadow worker', () => {
    // Act
    const env = envOf('Router');
    // Assess
    expect(env.MONOLITH_URL).toBe('https://shop-internal.example.com');
    expect(JSON.stringify(env.CANDIDATE_URLS)).toContain('customers.example.com');
    expect(env).toEqual(
      expect.objectContaining({
        ROUTING_TABLE_NAME: expect.anything(),
        ROUTING_HISTORY_TABLE_NAME: expect.anything(),
        SHADOW_FUNCTION_NAME: expect.anything(),
      }),
    );
  });

  it('never retries a shadow copy (a retried write would be sent and counted twice)', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
  });

  describe('IAM', () => {
    const statements = () => iamStatements(template);
    const actions = (s: { Action: string | string[] }): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

    it('allows no wildcard action', () => {
      const allows = statements().filter(({ s }) => s.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);
      expect(
        allows.flatMap(({ where, s }) =>
          actions(s)
            .filter((a) => a.includes('*'))
            .map((a) => `${where}: ${a}`),
        ),
      ).toEqual([]);
    });

    it('uses Resource "*" only for X-Ray and for PutMetricData held to the routing namespace', () => {
      const star = statements().filter(
        ({ s }) => s.Effect === 'Allow' && (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))),
      );
      expect(star.length).toBeGreaterThan(0);
      for (const { where, s } of star) {
        const a = actions(s);
        if (a.includes('cloudwatch:PutMetricData')) {
          expect({ where, a, c: (s as { Condition?: unknown }).Condition }).toEqual({
            where,
            a: ['cloudwatch:PutMetricData'],
            c: { StringEquals: { 'cloudwatch:namespace': ROUTING_METRIC_NAMESPACE } },
          });
        } else {
          expect({ where, ok: a.every((x) => ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'].includes(x)) }).toEqual({
            where,
            ok: true,
          });
        }
      }
    });

    it('lets the façade read the routing table (Scan) and change nothing in it', () => {
      const onRouting = statements().filter(
        ({ s }) => JSON.stringify(s.Resource ?? '').includes('RoutingTable') || JSON.stringify(s.Resource ?? '').includes('Routing'),
      );
      expect(onRouting.flatMap(({ s }) => actions(s)).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Scan']);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has zero unacknowledged findings', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('has a written reason for every acknowledgement', () => {
      const acks = acknowledgements(stack);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) expect({ ...a, long: a.reason.length > 30 }).toEqual({ ...a, long: true });
    });
  });
});

describe('Construct: HttpFacade', () => {
  const make = (props: Partial<ConstructorParameters<typeof HttpFacade>[2]>, s: Spec = spec) => {
    const st = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const table = new dynamodb.Table(st, 'T', { partitionKey: { name: 'capability', type: dynamodb.AttributeType.STRING } });
    return () =>
      new HttpFacade(st, 'F', { spec: s, routingTable: table, routingHistoryTable: table, monolithUrl: 'https://m.example.com', ...props });
  };

  it.each([
    [{ monolithUrl: 'not a url' }, 'monolithUrl must be an http(s) URL, got "not a url"'],
    [{ monolithUrl: 'ftp://m.example.com' }, 'monolithUrl must be an http(s) URL'],
    [{ monolithUrl: 'https://m.example.com/?x=1' }, 'without query'],
    [{ candidateUrls: { nope: 'https://x' } }, 'candidateUrls.nope: not a routing capability'],
    [{ candidateUrls: { customers: 'x' } }, 'candidateUrls.customers must be an http(s) URL'],
    [{ throttlingRateLimit: 0 }, 'throttlingRateLimit must be a positive number, got 0'],
  ])('refuses %j naming the prop', (props, message) => {
    expect(make(props)).toThrow(message);
  });

  it("refuses a timeout budget that cannot fit API Gateway's 30 s", () => {
    const s = parseSpec({ ...config, facade: { ...config.facade, timeoutMs: 20_000, retries: 1 } });
    expect(make({}, s)).toThrow("does not fit API Gateway's 30 s integration timeout");
  });

  it('is not built without a monolith URL (no façade stack)', () => {
    const stacks = buildCutoverApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), { spec, prefix: 'T2', nag: false });
    expect(stacks.facade).toBeUndefined();
  });
});
