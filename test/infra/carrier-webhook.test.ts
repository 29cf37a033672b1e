import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { SagaStack } from '../../lib/stacks/saga-stack';
import { OUTPUTS } from '../../core/contract';
import { actionsOf, iamStatements, nagFindings } from '../support/infra';

/* The carrier webhook in the saga stack: endpoint, handler wiring, least privilege, and the providers prop. */
let spec: Spec;
let stack: SagaStack;
let template: Template;

function sagaStack(props: Partial<ConstructorParameters<typeof SagaStack>[2]> = {}): SagaStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const buses = new Stack(app, 'Buses');
  return new SagaStack(app, 'Saga', {
    spec,
    legacyBus: new events.EventBus(buses, 'Legacy'),
    servicesBus: new events.EventBus(buses, 'Services'),
    ...props,
  });
}

beforeAll(() => {
  spec = parseSpec(config);
  stack = sagaStack();
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;
const ofType = (type: string) => template.findResources(type) as Resources;
const webhookFunctionId = () => stack.getLogicalId(stack.carrierWebhook!.function.node.defaultChild as never);
const webhookRoleId = () => stack.getLogicalId(stack.carrierWebhook!.function.role!.node.defaultChild as never);

describe('Construct: CarrierWebhook (in SagaStack)', () => {
  it('is POST /carrier/webhook on a REST API, Lambda proxy, no authorizer (the signature is checked in the Lambda)', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'carrier' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'webhook' });
    const methods = Object.values(ofType('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(1);
    expect(methods[0].Properties).toMatchObject({
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'carrier',
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
  });

  it('gives the handler the bus, the callback registry, the secret, the event-id table, the quarantine queue and the provider', () => {
    const env = (ofType('AWS::Lambda::Function')[webhookFunctionId()].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(Object.keys(env).sort()).toEqual(
      [
        'CARRIER_PROVIDER',
        'CARRIER_QUARANTINE_QUEUE_URL',
        'CARRIER_WEBHOOK_EVENTS_TABLE_NAME',
        'CARRIER_WEBHOOK_SECRET_ARN',
        'NODE_OPTIONS',
        'SAGA_CALLBACKS_TABLE_NAME',
        'SERVICES_BUS_NAME',
      ].sort(),
    );
    expect(env.CARRIER_PROVIDER).toBe('sandbox');
  });

  it('generates the signing secret as JSON with a "current" key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{}', GenerateStringKey: 'current', ExcludePunctuation: true }),
    });
  });

  it('lets only the webhook read the secret, and only that secret', () => {
    const secretId = stack.getLogicalId(stack.carrierWebhook!.secret.node.defaultChild as never);
    const readers = iamStatements(template).filter(({ s }) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(readers.length).toBeGreaterThan(0);
    for (const { where, s } of readers) {
      expect(where).toContain(webhookRoleId().replace(/[0-9A-F]{8}$/, ''));
      expect(s.Resource).toEqual({ Ref: secretId });
    }
  });

  it('grants the event-id table exactly put, update and delete, and the callback registry only GetItem', () => {
    const eventsId = stack.getLogicalId(stack.carrierWebhook!.eventsTable.node.defaultChild as never);
    const callbacksId = stack.getLogicalId(stack.orderSaga.tables.callbacks.node.defaultChild as never);
    const mine = iamStatements(template).filter(({ where }) => where.includes(webhookRoleId().replace(/[0-9A-F]{8}$/, '')));
    const on = (id: string) =>
      mine
        .filter(({ s }) => JSON.stringify(s.Resource ?? null).includes(id))
        .flatMap(({ s }) => actionsOf(s))
        .sort();
    expect(on(eventsId)).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(on(callbacksId)).toEqual(['dynamodb:GetItem']);
    expect(mine.flatMap(({ s }) => actionsOf(s))).not.toContain('states:SendTaskSuccess');
  });

  it('keeps replay records with a TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('publishes to the rule that hands carrier answers to the shipping service', () => {
    const shippingId = stack.getLogicalId(stack.orderSaga.functions.shipping.node.defaultChild as never);
    const rules = Object.values(ofType('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.EventPattern ?? {}).includes('shipment.dispatched'),
    );
    const carrier = rules.find((r) => JSON.stringify(r.Properties.Targets).includes(shippingId));
    expect(carrier?.Properties.EventPattern).toEqual({ 'detail-type': spec.saga!.shipping.confirmedBy });
  });

  it.each([OUTPUTS.saga.carrierWebhookUrl, OUTPUTS.saga.carrierWebhookSecretArn, OUTPUTS.saga.carrierQuarantineQueueUrl])(
    'exports %s',
    (key) => {
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    },
  );

  it('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('SagaStack props: providers, carrierWebhook', () => {
  it('sets PAYMENT_PROVIDER / CARRIER_PROVIDER on the services, and leaves the webhook out with carrierWebhook: false', () => {
    const s = sagaStack({ providers: { payment: 'sandbox', carrier: 'sandbox' }, carrierWebhook: false });
    const t = Template.fromStack(s);
    const envOf = (fn: { node: { defaultChild?: unknown } }) =>
      t.findResources('AWS::Lambda::Function')[s.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables as Record<
        string,
        string
      >;
    expect(envOf(s.orderSaga.functions.payment).PAYMENT_PROVIDER).toBe('sandbox');
    expect(envOf(s.orderSaga.functions.shipping).CARRIER_PROVIDER).toBe('sandbox');
    t.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    expect(s.carrierWebhook).toBeUndefined();
  });

  it.each([
    [{ payment: 'stripe' }, /providers.payment: "stripe" is not a known provider \(known: sandbox\)/],
    [{ carrier: 'dhl-express' }, /providers.carrier: "dhl-express" is not a known provider/],
  ])('fails synth naming the prop for an unknown provider %j', (providers, message) => {
    expect(() => sagaStack({ providers })).toThrow(message);
  });
});
