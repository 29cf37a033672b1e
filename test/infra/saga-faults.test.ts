import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { validateFaultPlan } from '../../core/saga/faults';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';

/*
 * A fault profile handed to the app (`cdk deploy -c faults=profile.json` in bin/app.ts) lands as
 * CUTOVER_FAULTS on the functions that read it, and the stack says which functions those are, for
 * `cutover chaos run`.
 */
const FAULTS = validateFaultPlan({
  'payment.ProcessPayment': { latency: { dist: 'lognormal', p50: 500, p95: 1500 }, failRate: 0.03 },
  ScheduleShipping: { partition: { from: '2026-11-21T14:00:00Z', until: '2026-11-21T14:05:00Z' } },
});

type Fn = { Properties: { Environment?: { Variables?: Record<string, unknown> } } };
let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const saga = buildCutoverApp(app, { spec: parseSpec(config), prefix: 'Test', nag: false, faults: FAULTS }).saga!;
  template = Template.fromStack(saga);
});

describe('App: fault profile', () => {
  it('sets CUTOVER_FAULTS to the profile on exactly the functions the SagaReferenceFunctions output names', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function') as Record<string, Fn>;
    const withFaults = Object.entries(functions)
      .filter(([, f]) => f.Properties.Environment?.Variables?.CUTOVER_FAULTS !== undefined)
      .map(([id]) => id)
      .sort();
    const output = Object.values(template.findOutputs('SagaReferenceFunctions'))[0] as { Value: unknown };
    const named = JSON.stringify(output.Value);

    // Assess
    expect(withFaults.length).toBeGreaterThanOrEqual(5);
    for (const id of withFaults)
      expect(JSON.parse(functions[id].Properties.Environment!.Variables!.CUTOVER_FAULTS as string)).toEqual(FAULTS);
    for (const service of ['Inventory', 'Payment', 'Shipping', 'Notification', 'SagaCommands']) {
      const id = withFaults.find((i) => i.startsWith(`OrderSaga${service}`));
      expect({ service, id: id !== undefined, named: id !== undefined && named.includes(id) }).toEqual({ service, id: true, named: true });
    }
  });
});
