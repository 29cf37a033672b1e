import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SinkError } from '../../adapters/sql/capture/errors';
import { boundedName, mysqlCaptureTriggers, pgCaptureObjects } from '../../adapters/sql/capture/ddl';
import { isoMillis } from '../../adapters/sql/capture/relay';
import { SqsFifoSink, sqsId } from '../../adapters/sql/capture/sqs-sink';
import type { RowChange } from '../../core/sync/change';

const sqs = mockClient(SQSClient);

const change = (i: number, sku = `A${i % 3}`, size = 0): RowChange => ({
  source: 'shop',
  changeId: String(100 + i),
  table: 'stock',
  key: { sku, warehouse_cd: 'W1' },
  operation: 'update',
  changedColumns: ['on_hand'],
  before: { on_hand: String(i) },
  after: { on_hand: String(i + 1), note: 'x'.repeat(size) },
  txId: '1',
  origin: 'app',
  committedAt: '2026-12-06T10:00:00.000Z',
});

describe('Class: SqsFifoSink', () => {
  afterEach(() => sqs.reset());

  const sink = () =>
    new SqsFifoSink({
      client: new SQSClient({ region: 'eu-west-1' }),
      queueUrl: 'https://sqs/q.fifo',
      groupKey: (c) => `stock#${c.key.sku}|${c.key.warehouse_cd}`,
    });

  describe('Method: send', () => {
    it('sends in order, ten per batch, grouped by entity key and deduplicated by source and change id', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

      // Act
      await sink().send(Array.from({ length: 23 }, (_, i) => change(i)));

      // Assess
      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
      const entries = calls.flatMap((c) => c.args[0].input.Entries ?? []);
      expect(entries.map((e) => e.MessageDeduplicationId)).toEqual(Array.from({ length: 23 }, (_, i) => `shop:${100 + i}`));
      expect(entries[4].MessageGroupId).toBe('stock#A1|W1');
      expect(JSON.parse(entries[22].MessageBody ?? '{}')).toMatchObject({ changeId: '122', after: { on_hand: '23' } });
    });

    it('cuts batches by size so none passes the 256 KiB request limit', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).resolves({});

      // Act
      await sink().send(Array.from({ length: 4 }, (_, i) => change(i, 'A', 100_000)));

      // Assess
      expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([2, 2]);
    });

    it('fails the whole send when SQS refuses part of a batch (the relay ships it again)', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false, Message: 'try again' }] });

      // Act
      const sending = sink().send([change(1), change(2), change(3), change(4)]);

      // Assess
      await expect(sending).rejects.toThrow(SinkError);
      await expect(sink().send([change(1)])).rejects.toThrow(/SQS refused 1 of 1 change\(s\), e.g. 3: InternalError try again/);
    });

    it('refuses a change over the message limit, naming it', async () => {
      await expect(sink().send([change(1, 'BIG', 300_000)])).rejects.toThrow(/change 101 of stock .* over the SQS message limit/);
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    });
  });
});

describe('Function: sqsId', () => {
  it.each([
    ['orders#1000001', 'orders#1000001'],
    ['stock#A 1|W1', `h:`],
    ['x'.repeat(129), 'h:'],
  ])('keeps %s when SQS accepts it, hashes it otherwise', (input, expected) => {
    const id = sqsId(input);
    expect(id.startsWith(expected)).toBe(true);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(sqsId(input)).toBe(id);
  });
});

describe('Function: isoMillis', () => {
  it.each([
    ['2026-12-06 02:37:46.741092', '2026-12-06T02:37:46.741Z'],
    ['2026-12-06 02:37:46', '2026-12-06T02:37:46.000Z'],
    ['2026-12-06 02:37:46.5', '2026-12-06T02:37:46.500Z'],
  ])('reads %s as %s', (text, iso) => expect(isoMillis(text)).toBe(iso));

  it('refuses what is not a time', () => expect(() => isoMillis('yesterday')).toThrow(/"yesterday" is not a timestamp/));
});

describe('DDL', () => {
  const wide = { table: 'wide', physical: 'wide', columns: Array.from({ length: 120 }, (_, i) => `c${i}`), key: ['c0'] };

  it('builds PostgreSQL images of wide tables in chunks (json_build_object takes at most 100 arguments)', () => {
    const o = pgCaptureObjects('public', '', wide);
    const calls = o.functionSql.match(/jsonb_build_object\(/g) ?? [];
    expect(o.functionSql).toContain(`'c119', NEW."c119"::text`);
    expect(calls.length).toBeGreaterThan(3);
    for (const call of o.functionSql.split('jsonb_build_object(').slice(1))
      expect((call.split(')')[0].match(/,/g) ?? []).length).toBeLessThan(100);
  });

  it('gives a table the same fingerprint until its columns change', () => {
    const a = pgCaptureObjects('public', '', wide).fingerprint;
    expect(pgCaptureObjects('public', '', wide).fingerprint).toBe(a);
    expect(pgCaptureObjects('public', '', { ...wide, columns: [...wide.columns, 'extra'] }).fingerprint).not.toBe(a);
  });

  it('keeps MySQL trigger names within 64 characters and distinct per event', () => {
    const names = mysqlCaptureTriggers('db', 'prefix_', {
      ...wide,
      table: 'a_very_long_table_name_that_goes_on_and_on_and_on_for_ever',
    }).map((t) => t.name);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(64);
    expect(boundedName('short')).toBe('short');
  });
});
