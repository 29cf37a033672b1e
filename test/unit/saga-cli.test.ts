import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsContext } from '../../cli/aws-context';
import {
  looksLikeToken,
  readOrderFile,
  renderStatus,
  sagaCallbackCommand,
  sagaListCommand,
  sagaStartCommand,
} from '../../cli/commands/saga';
import { summarizeHistory, type HistoryEvent } from '../../core/saga/status';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';

/*
 * `cutover saga ...` with Step Functions mocked and the saga tables in dynalite. Table names are passed as
 * options, so no CloudFormation is needed.
 */

const sfnMock = mockClient(SFNClient);
let db: Dynalite;
let dir: string;
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:shop-order-saga';

beforeAll(async () => {
  db = await startDynalite();
  await db.client.send(
    new CreateTableCommand({
      TableName: 'callbacks',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'orderId', AttributeType: 'S' },
        { AttributeName: 'action', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'orderId', KeyType: 'HASH' },
        { AttributeName: 'action', KeyType: 'RANGE' },
      ],
    }),
  );
  await db.client.send(
    new CreateTableCommand({
      TableName: 'state',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'orderId', AttributeType: 'S' },
        { AttributeName: 'sagaState', AttributeType: 'S' },
        { AttributeName: 'updatedAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'bySagaState',
          KeySchema: [
            { AttributeName: 'sagaState', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  dir = mkdtempSync(path.join(tmpdir(), 'saga-cli-'));
});
afterAll(async () => {
  await db.close();
});
afterEach(() => sfnMock.reset());

const io = () => {
  const lines: string[] = [];
  return {
    lines,
    io: {
      context: new AwsContext({}, { dynamo: db.doc }),
      sfn: new SFNClient({}),
      stdout: (t: string) => void lines.push(t),
      stderr: (t: string) => void lines.push(t),
    },
  };
};
const order = {
  orderId: '1400001',
  customerId: 'C00042',
  placedAt: '2026-11-21T14:30:00Z',
  amount: { total: '54.97', currency: 'EUR' },
  channel: 'web',
  // The lines add up to the total (a rule of the reference spec).
  lines: [
    { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
    { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
  ],
  shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
};

describe('Command: saga start', () => {
  it('starts the saga named by the order id, and says so when it was already started', async () => {
    // Prepare
    const file = path.join(dir, 'order.json');
    writeFileSync(file, JSON.stringify(order));
    sfnMock
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${ARN}:1400001`, startDate: new Date() })
      .rejects(Object.assign(new Error('x'), { name: 'ExecutionAlreadyExists' }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const first = io();
    const second = io();

    // Act
    const a = await sagaStartCommand({ order: file, stateMachine: ARN, config: path.join(__dirname, '../../cutover.config.ts') }, first.io);
    const b = await sagaStartCommand(
      { order: file, stateMachine: ARN, config: path.join(__dirname, '../../cutover.config.ts') },
      second.io,
    );

    // Assess
    expect([a, b]).toEqual([0, 0]);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input).toMatchObject({ stateMachineArn: ARN, name: '1400001' });
    expect(first.lines.join('')).toContain('started the saga for order 1400001');
    expect(second.lines.join('')).toContain('already started (RUNNING); nothing done');
  });

  it('refuses an invalid order, naming the field, without calling Step Functions', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ order: { ...order, customerId: 'nobody' } }));
    const run = io();
    expect(
      await sagaStartCommand({ order: file, stateMachine: ARN, config: path.join(__dirname, '../../cutover.config.ts') }, run.io),
    ).toBe(2);
    expect(run.lines.join('')).toMatch(/customerId/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('reads the order, an { order } wrapper, or an order event', () => {
    const event = path.join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ metadata: { version: 1 }, data: { orderId: '1' } }));
    expect(readOrderFile(event)).toEqual({ order: { orderId: '1' }, version: 1 });
    expect(() => readOrderFile(path.join(dir, 'missing.json'))).toThrow(/does not exist/);
  });
});

describe('Command: saga callback', () => {
  it('finds the waiting token by order id, answers it and marks it settled', async () => {
    // Prepare
    await db.doc.send(
      new PutCommand({
        TableName: 'callbacks',
        Item: { orderId: '1400002', action: 'ScheduleShipping', taskToken: 'tok-abc', registeredAt: '2026-11-21T14:31:00Z', ttl: 1 },
      }),
    );
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const run = io();

    // Act
    const code = await sagaCallbackCommand('1400002', { success: true, table: 'callbacks', output: '{"shipmentId":"SHP1"}' }, run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)[0].args[0].input).toEqual({
      taskToken: 'tok-abc',
      output: '{"shipmentId":"SHP1"}',
    });
    const again = io();
    expect(await sagaCallbackCommand('1400002', { success: true, table: 'callbacks' }, again.io)).toBe(2);
    expect(again.lines.join('')).toContain('has no open wait (registered: ScheduleShipping settled)');
  });

  it('asks which step when an order waits for two, and needs exactly one of --success/--failure/--heartbeat', async () => {
    await db.doc.send(
      new PutCommand({
        TableName: 'callbacks',
        Item: { orderId: '1400003', action: 'ProcessPayment', taskToken: 't1', registeredAt: 'a' },
      }),
    );
    await db.doc.send(
      new PutCommand({
        TableName: 'callbacks',
        Item: { orderId: '1400003', action: 'ScheduleShipping', taskToken: 't2', registeredAt: 'b' },
      }),
    );
    const run = io();
    expect(await sagaCallbackCommand('1400003', { failure: true, table: 'callbacks' }, run.io)).toBe(2);
    expect(run.lines.join('')).toContain('name one with --step');
    const none = io();
    expect(await sagaCallbackCommand('1400003', { table: 'callbacks' }, none.io)).toBe(2);
    expect(none.lines.join('')).toContain('exactly one of --success, --failure or --heartbeat');
  });

  it('tells a token from an order id', () => {
    expect(looksLikeToken('1000001')).toBe(false);
    expect(looksLikeToken('AQCEAAAAKgAAAAMAAAAA'.repeat(10))).toBe(true);
    expect(looksLikeToken('abc/def+ghi=')).toBe(true);
  });
});

describe('Command: saga list', () => {
  it('lists one outcome, newest first, from the saga state table', async () => {
    for (const [orderId, sagaState, updatedAt] of [
      ['1400010', 'compensated', '2026-11-21T10:00:00Z'],
      ['1400011', 'compensated', '2026-11-21T11:00:00Z'],
      ['1400012', 'completed', '2026-11-21T12:00:00Z'],
    ]) {
      await db.doc.send(
        new PutCommand({
          TableName: 'state',
          Item: { orderId, sagaState, updatedAt, failedStep: 'ProcessPayment', failure: 'CardDeclined' },
        }),
      );
    }
    const run = io();
    expect(await sagaListCommand({ state: 'compensated', table: 'state', stateMachine: ARN }, run.io)).toBe(0);
    const text = run.lines.join('');
    expect(text.indexOf('1400011')).toBeLessThan(text.indexOf('1400010'));
    expect(text).not.toContain('1400012');
    expect(text).toContain('failed at ProcessPayment (CardDeclined)');
    expect(text).toContain('2 saga(s) compensated');
  });
});

describe('Function: summarizeHistory / renderStatus', () => {
  const at = (s: number) => new Date(Date.parse('2026-11-21T14:30:00Z') + s * 1000);
  const entered = (name: string, s: number): HistoryEvent => ({
    type: 'TaskStateEntered',
    timestamp: at(s),
    stateEnteredEventDetails: { name },
  });
  const exited = (name: string, s: number): HistoryEvent => ({
    type: 'TaskStateExited',
    timestamp: at(s),
    stateExitedEventDetails: { name },
  });
  const events: HistoryEvent[] = [
    entered('CreateOrder', 0),
    { type: 'TaskScheduled', timestamp: at(0) },
    exited('CreateOrder', 1),
    entered('ReserveInventory', 1),
    { type: 'TaskScheduled', timestamp: at(1) },
    { type: 'TaskFailed', timestamp: at(2), taskFailedEventDetails: { error: 'TransientError' } },
    { type: 'TaskScheduled', timestamp: at(3) },
    exited('ReserveInventory', 4),
    entered('ProcessPayment', 4),
    { type: 'TaskScheduled', timestamp: at(4) },
    { type: 'TaskFailed', timestamp: at(5), taskFailedEventDetails: { error: 'CardDeclined' } },
    { type: 'PassStateEntered', timestamp: at(5), stateEnteredEventDetails: { name: 'ProcessPayment Rejected' } },
    entered('ReleaseInventory', 6),
    { type: 'TaskScheduled', timestamp: at(6) },
    exited('ReleaseInventory', 7),
  ];

  it('reads steps, retries, the failure and the compensations from the history', () => {
    const s = summarizeHistory(events);
    expect(s.actions.map((a) => `${a.kind}:${a.id}:${a.status}:${a.attempts}`)).toEqual([
      'step:CreateOrder:succeeded:1',
      'step:ReserveInventory:succeeded:2',
      'step:ProcessPayment:failed:1',
      'compensation:ReleaseInventory:succeeded:1',
    ]);
    expect(s).toMatchObject({ failedStep: 'ProcessPayment', error: 'CardDeclined', currentState: 'ReleaseInventory' });
  });

  it('counts the monolith side of a routed action as that action, and a side with nothing to do as done without a call', () => {
    // Prepare
    const routed: HistoryEvent[] = [
      entered('ReserveInventory Via Monolith', 0),
      { type: 'TaskScheduled', timestamp: at(0) },
      exited('ReserveInventory Via Monolith', 1),
      { type: 'PassStateEntered', timestamp: at(2), stateEnteredEventDetails: { name: 'ConfirmReservation Not Needed On Monolith' } },
      { type: 'PassStateExited', timestamp: at(2), stateExitedEventDetails: { name: 'ConfirmReservation Not Needed On Monolith' } },
      entered('ScheduleShipping', 3),
    ];

    // Act
    const s = summarizeHistory(routed);

    // Assess
    expect(s.actions.map((a) => `${a.kind}:${a.id}:${a.status}:${a.attempts}`)).toEqual([
      'step:ReserveInventory:succeeded:1',
      'step:ConfirmReservation:succeeded:0',
      'step:ScheduleShipping:running:0',
    ]);
    expect(s.currentState).toBe('ScheduleShipping');
  });

  it('renders owners, times, compensations and open waits', () => {
    const text = renderStatus('1400001', { status: 'RUNNING', startDate: at(0) }, summarizeHistory(events), {
      owners: JSON.stringify({ ProcessPayment: 'monolith', ReserveInventory: 'service' }),
      waiting: [{ action: 'ReleaseInventory', registeredAt: at(6).toISOString() }],
    });
    expect(text).toContain('order 1400001: running');
    expect(text).toMatch(/ProcessPayment\s+monolith\s+failed/);
    expect(text).toContain('(2 calls)');
    expect(text).toContain('compensations (in the order they ran):');
    expect(text).toContain('waiting for: ReleaseInventory');
  });
});
