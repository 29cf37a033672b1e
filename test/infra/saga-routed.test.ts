import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { ConfigurationError } from '../../core/errors';
import { SAGA_ROUTE_SUBSTITUTION } from '../../core/saga/asl';
import '../../core/saga';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import routedInventoryFixture from '../fixtures/specs/routed-inventory.config';
import { buildCutoverApp, type CutoverStacks } from '../../lib/app';
import { OrderSaga } from '../../lib/constructs/order-saga';
import { actionsOf, iamStatements, nagFindings } from '../support/infra';

/*
 * Routed saga steps in the synthesized app: the decision function (functions/saga-route) lives in the routing
 * stack beside the table it reads and may only GetItem on it; the saga's state machine invokes it only
 * when a step is routed (and then by its exact ARN); a routed step without it fails synth naming the step.
 */

type Props = Record<string, unknown>;

function routedSpec(): Spec {
  const copy = structuredClone(parseSpec(config));
  copy.saga!.steps.ProcessPayment.owner = 'routed';
  return parseSpec(copy);
}

function build(spec: Spec, prefix: string): CutoverStacks {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return buildCutoverApp(app, { spec, prefix, nag: false });
}

const functionEnv = (template: Template, dir: string): Record<string, unknown> => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function') as Record<string, { Properties: Props }>);
  const fn = fns.find((f) => String(f.Properties.Description ?? '').includes('routed saga step'));
  if (!fn) throw new Error(`no ${dir} function`);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
};

describe('Infra: routed saga steps', () => {
  let routed: CutoverStacks;
  let reference: CutoverStacks;
  beforeAll(() => {
    routed = build(routedSpec(), 'Routed');
    reference = build(parseSpec(config), 'Ref');
  });

  it('builds the decision function in the routing stack, allowed only GetItem on the routing table', () => {
    // Prepare
    const stack = routed.routing!;
    const template = Template.fromStack(stack);
    const tableArn = stack.resolve(stack.tables.table.tableArn);

    // Act
    const statements = iamStatements(template)
      .filter(({ where }) => where.includes('SagaRoute'))
      .map(({ s }) => s);

    // Assess
    const data = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(data.flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem']);
    expect(data.flatMap((s) => [s.Resource].flat())).toEqual([tableArn]);
    expect(
      statements.flatMap(actionsOf).filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('xray:') && a !== 'sts:AssumeRole'),
    ).toEqual([]);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(stack.resolve(v))) as unknown;
    expect(functionEnv(template, 'saga-route')).toMatchObject({
      ROUTING_TABLE_NAME: plain(stack.tables.table.tableName),
      ROUTING_HISTORY_TABLE_NAME: plain(stack.tables.historyTable.tableName),
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  it('lets the saga invoke the decision function, by its ARN, when a step is routed', () => {
    // Prepare
    const saga = routed.saga!;
    const template = Template.fromStack(saga);
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, { Properties: Props }>)[0];

    // Act
    const substitutions = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const invoke = iamStatements(template)
      .filter(({ where }) => where.includes('StateMachineRole'))
      .flatMap(({ s }) => (actionsOf(s).includes('lambda:InvokeFunction') ? [s.Resource] : []))
      .flat();

    // Assess
    expect(substitutions[SAGA_ROUTE_SUBSTITUTION]).toBeDefined();
    expect(invoke).toContainEqual(substitutions[SAGA_ROUTE_SUBSTITUTION]);
    expect(nagFindings(saga)).toEqual([]);
  });

  it('builds a routed ReserveInventory (the fixture spec) with one decision, which ConfirmReservation and ReleaseInventory only read', () => {
    // Prepare
    const stacks = build(parseSpec(routedInventoryFixture), 'RoutedInv');
    const template = Template.fromStack(stacks.saga!);
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, { Properties: Props }>)[0];

    // Act
    const definition = JSON.parse(String(sm.Properties.DefinitionString)) as { States: Record<string, { Resource?: string }> };
    const decisions = Object.entries(definition.States)
      .filter(([, st]) => st.Resource === `\${${SAGA_ROUTE_SUBSTITUTION}}`)
      .map(([name]) => name);
    const substitutions = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;

    // Assess
    expect(decisions).toEqual(['Route ReserveInventory']);
    expect(Object.keys(definition.States)).toEqual(
      expect.arrayContaining([
        'ConfirmReservation Routed To?',
        'ConfirmReservation Not Needed On Monolith',
        'ReleaseInventory Via Monolith',
      ]),
    );
    expect(substitutions[SAGA_ROUTE_SUBSTITUTION]).toBeDefined();
    expect(stacks.routing!.sagaRoute).toBeDefined();
    expect(nagFindings(stacks.saga!)).toEqual([]);
  });

  it('does not refer to the decision function from a saga without routed steps', () => {
    // Act
    const sm = Object.values(
      Template.fromStack(reference.saga!).findResources('AWS::StepFunctions::StateMachine') as Record<string, { Properties: Props }>,
    )[0];

    // Assess
    expect(Object.keys(sm.Properties.DefinitionSubstitutions as Props)).not.toContain(SAGA_ROUTE_SUBSTITUTION);
    expect(reference.routing!.sagaRoute).toBeDefined();
  });

  it('fails synth naming the step when a routed step has no decision function', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Lonely');
    const legacyBus = events.EventBus.fromEventBusName(stack, 'Legacy', 'legacy');
    const servicesBus = events.EventBus.fromEventBusName(stack, 'Services', 'services');

    // Act
    let error: unknown;
    try {
      new OrderSaga(stack, 'OrderSaga', { spec: routedSpec(), legacyBus, servicesBus });
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/saga\.steps\.ProcessPayment\.owner: "routed" needs the routing table's decision function/);
  });
});
