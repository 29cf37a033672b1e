import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { buildSagaDefinition, usedSubstitutions } from '../../core/saga/asl';
import { parseSpec, type Spec } from '../../core/spec';
import '../../core/saga';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { sagaPlanOf } from '../../lib/constructs/order-saga';
import type { SagaImplementations } from '../../lib/constructs/saga-state-machine';
import type { SagaStack } from '../../lib/stacks/saga-stack';
import { actionsOf, iamStatements, nagFindings, type IamStatement } from '../support/infra';

/*
 * Bring your own services: the saga stack synthesized with a user's Lambda, state machine and provider API
 * (with its EventBridge connection) behind some actions. The user's resources live in their own stack, as
 * they would in a real app; the saga stack refers to them.
 */
let spec: Spec;
let saga: SagaStack;
let provider: Stack;
let template: Template;
let impls: SagaImplementations;

beforeAll(() => {
  const base = parseSpec(config);
  const copy = structuredClone(base);
  copy.saga!.steps.ProcessPayment.owner = 'service';
  spec = parseSpec(copy);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  provider = new Stack(app, 'Provider');
  const fn = (id: string) =>
    new lambda.Function(provider, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
  const connection = new events.Connection(provider, 'PaymentConnection', {
    authorization: events.Authorization.apiKey('Authorization', SecretValue.unsafePlainText('Bearer sk_test')),
  });
  const inventoryFlow = new sfn.StateMachine(provider, 'InventoryFlow', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(provider, 'Reserve')),
  });
  impls = {
    ProcessPayment: { kind: 'http', endpoint: 'https://api.payments.example/v1/charges', connection, rejections: { 402: 'CardDeclined' } },
    RefundPayment: { kind: 'http', endpoint: 'https://api.payments.example/v1/refunds', connection, method: 'PUT' },
    ReserveInventory: { kind: 'stateMachine', stateMachine: inventoryFlow },
    NotifyCustomer: { kind: 'lambda', function: fn('Notifier') },
    ScheduleShipping: { kind: 'lambda', function: fn('CarrierBooking') },
  };
  saga = buildCutoverApp(app, { spec, prefix: 'Own', nag: false, sagaImplementations: impls }).saga!;
  template = Template.fromStack(saga);
});

type Props = Record<string, unknown>;
const stateMachine = () =>
  Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, { Properties: Props }>)[0].Properties;
const sagaRoleStatements = (): IamStatement[] =>
  iamStatements(template)
    .filter(({ where }) => where.includes('StateMachineRole'))
    .map(({ s }) => s);
const allowing = (action: string) => sagaRoleStatements().filter((s) => actionsOf(s).includes(action));

describe('Construct: OrderSaga with your own services', () => {
  it("puts the user's resources in the definition's substitutions, each under its action's placeholder", () => {
    // Prepare
    const definition = buildSagaDefinition(sagaPlanOf(spec, impls));

    // Act
    const subs = stateMachine().DefinitionSubstitutions as Record<string, unknown>;

    // Assess
    expect(JSON.parse(stateMachine().DefinitionString as string)).toEqual(definition);
    expect(Object.keys(subs).sort()).toEqual(usedSubstitutions(definition).sort());
    expect(subs.ProcessPaymentEndpoint).toBe('https://api.payments.example/v1/charges');
    expect(JSON.stringify(subs.ProcessPaymentConnection)).toMatch(/PaymentConnection/);
    expect(JSON.stringify(subs.ReserveInventoryImplementation)).toMatch(/InventoryFlow/);
    expect(JSON.stringify(subs.NotifyCustomerImplementation)).toMatch(/Notifier/);
    // The replaced reference Lambda is no longer in the definition (every payment action is the provider's).
    expect(Object.keys(subs)).not.toContain('PaymentFunctionArn');
  });

  it("may invoke the user's Lambdas, and the reference Lambdas it still uses, and nothing else", () => {
    // Act
    const resources = JSON.stringify(allowing('lambda:InvokeFunction').map((s) => s.Resource));

    // Assess
    expect(resources).toMatch(/Notifier/);
    expect(resources).toMatch(/CarrierBooking/);
    expect(resources).toMatch(/Inventory/);
    expect(resources).not.toMatch(/OrderSagaPayment/);
  });

  it('may start, describe and stop executions of the child state machine only, and use the managed rule .sync needs', () => {
    // Act
    const start = JSON.stringify(allowing('states:StartExecution').map((s) => s.Resource));
    const describe = JSON.stringify(allowing('states:DescribeExecution').map((s) => s.Resource));
    const rule = allowing('events:PutRule').map((s) => JSON.stringify(s.Resource));

    // Assess
    expect(start).toMatch(/InventoryFlow/);
    expect(describe).toMatch(/:execution:/);
    expect(allowing('states:StopExecution')).toHaveLength(1);
    expect(rule).toHaveLength(1);
    expect(rule[0]).toMatch(/rule\/StepFunctionsGetEventsForStepFunctionsExecutionRule/);
  });

  it("calls the provider through the connection: its credentials, its secret, and only the provider's endpoints and methods", () => {
    // Act
    const invoke = allowing('states:InvokeHTTPEndpoint') as Array<IamStatement & { Condition: Props }>;

    // Assess
    expect(JSON.stringify(allowing('events:RetrieveConnectionCredentials').map((s) => s.Resource))).toMatch(/PaymentConnection.*Arn/);
    expect(JSON.stringify(allowing('secretsmanager:GetSecretValue').map((s) => s.Resource))).toMatch(/PaymentConnection.*SecretArn/);
    expect(invoke.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'states:HTTPMethod': 'POST' }, StringLike: { 'states:HTTPEndpoint': 'https://api.payments.example/v1/charges*' } },
      { StringEquals: { 'states:HTTPMethod': 'PUT' }, StringLike: { 'states:HTTPEndpoint': 'https://api.payments.example/v1/refunds*' } },
    ]);
    expect(JSON.stringify(invoke.map((s) => s.Resource))).toMatch(/stateMachine:Own-Saga-order-saga/);
  });

  it('lets the user function of an awaited step answer this saga (SendTask*), and no other user function', () => {
    // Act
    const providerStatements = iamStatements(Template.fromStack(provider)).filter(({ s }) =>
      actionsOf(s).includes('states:SendTaskSuccess'),
    );

    // Assess
    expect(providerStatements.map(({ where }) => where)).toEqual([expect.stringMatching(/CarrierBooking/)]);
    expect(JSON.stringify(providerStatements[0].s.Resource)).toMatch(/stateMachine:Own-Saga-order-saga/);
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(saga)).toEqual([]);
  });

  it('fails synth naming the setting when an implementation cannot apply', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const other = new Stack(app, 'Other');
    const f = lambda.Function.fromFunctionArn(other, 'F', 'arn:aws:lambda:us-east-1:111111111111:function:mine');

    // Act
    const build = () =>
      buildCutoverApp(app, {
        spec: parseSpec(config),
        prefix: 'Bad',
        nag: false,
        sagaImplementations: { ProcessPayment: { kind: 'lambda', function: f } },
      });

    // Assess
    expect(build).toThrow(/implementations\.ProcessPayment: ProcessPayment is owned by the monolith/);
  });
});
