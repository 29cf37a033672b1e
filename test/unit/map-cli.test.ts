import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mapCommand, type MapOptions } from '../../cli/commands/map';
import type { TransactionMap } from '../../core/map';

/* `cutover map` from the spec alone and with a cdk.out directory (a small hand-made cloud assembly). */
const CONFIG = path.join(__dirname, '..', '..', 'cutover.config.ts');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'a12m-cdkout-'));
  const definition = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'statemachines', 'order-saga.asl.json'), 'utf8'));
  delete definition.States.NotifyCustomer.Catch;
  const saga = {
    Resources: {
      OrderSagaStateMachine15260A25: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: JSON.stringify(definition) },
      },
      Fn1: { Type: 'AWS::Lambda::Function', Properties: {} },
    },
  };
  const bridge = {
    Resources: {
      ServicesBusF68FAC46: { Type: 'AWS::Events::EventBus', Properties: { Name: 'shop-services' } },
      Replies0A1B2C3D: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'ServicesBusF68FAC46' },
          EventPattern: { 'detail-type': ['payment.captured'] },
          Targets: [{ Arn: { 'Fn::GetAtt': ['SagaCallbacks9F8E7D6C', 'Arn'] } }],
        },
      },
      Nightly0A1B2C3D: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 day)', Targets: [] } },
    },
  };
  fs.writeFileSync(path.join(dir, 'Cutover-Saga.template.json'), JSON.stringify(saga));
  fs.writeFileSync(path.join(dir, 'Cutover-Bridge.template.json'), JSON.stringify(bridge));
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{}');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(opts: MapOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await mapCommand({ config: CONFIG, ...opts }, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

describe('Command: map', () => {
  it('prints the summary from the spec alone and exits 0', async () => {
    // Act
    const { code, out } = await run({});

    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/^transaction map of "shop": 6 services/);
    expect(out).toMatch(/critical path checkout: CreateOrder -> ReserveInventory -> ProcessPayment -> ScheduleShipping/);
  });

  it('judges the synthesized definition with --cdk-out and exits 1 with --strict on a high risk', async () => {
    // Act
    const { code, out } = await run({ cdkOut: dir, format: 'json', strict: true });

    // Assess
    expect(code).toBe(1);
    const map = JSON.parse(out) as TransactionMap;
    expect(map.saga!.definitionFrom).toBe('app');
    expect(map.app).toMatchObject({ stacks: ['Cutover-Bridge', 'Cutover-Saga'], functions: 1 });
    expect(map.buses.find((b) => b.role === 'services')!.deployedName).toBe('shop-services');
    expect(map.app!.busRules).toEqual([
      { rule: 'Cutover-Bridge/Replies', bus: 'services', detailTypes: ['payment.captured'], targets: ['SagaCallbacks'] },
    ]);
    expect(map.risks).toContainEqual(
      expect.objectContaining({ rule: 'forward-without-compensation', where: 'Cutover-Saga/OrderSagaStateMachine States.NotifyCustomer' }),
    );
  });

  it('prints Mermaid with --format mermaid', async () => {
    // Act
    const { code, out } = await run({ format: 'mermaid' });

    // Assess
    expect(code).toBe(0);
    expect(out.startsWith('flowchart LR\n')).toBe(true);
  });

  it.each([
    ['a missing directory', () => path.join(dir, 'nope'), /does not exist; synthesize it with `npx cdk synth --quiet -o /],
    [
      'a directory without templates',
      () => fs.mkdirSync(path.join(dir, 'empty'), { recursive: true }) ?? path.join(dir, 'empty'),
      /holds no \*\.template\.json/,
    ],
  ])('exits 2 naming the directory for %s', async (_name, where, message) => {
    // Prepare
    const cdkOut = where();

    // Act
    const { code, err } = await run({ cdkOut });

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain(cdkOut);
  });
});
