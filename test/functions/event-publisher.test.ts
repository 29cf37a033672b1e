import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { EventPublisher, PublishError, PublishRetryableError } from '../../adapters/aws/event-publisher';
import { TransientError } from '../../core/errors';
import { batchPutEntries, MAX_PUT_BYTES, putEntrySize } from '../../core/events/put-batch';

const eb = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-east-1' });
const noSleep = { sleep: async () => undefined };

const entry = (i: number, bytes = 10): PutEventsRequestEntry => ({
  EventBusName: 'bus',
  Source: 'test',
  DetailType: 't',
  Detail: JSON.stringify({ i, pad: 'x'.repeat(bytes) }),
});
const items = (n: number, bytes = 10) => Array.from({ length: n }, (_, i) => ({ entry: entry(i, bytes), ref: i }));
const requests = () => eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
const requestBytes = (entries: readonly PutEventsRequestEntry[]) => entries.reduce((n, e) => n + putEntrySize(e), 0);

/** A bus answering each entry in order with the given codes ('' = accepted), then accepting everything. */
function answer(...codes: string[][]): void {
  let call = 0;
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    const these = codes[call++] ?? [];
    const entries = input.Entries.map((_, i) =>
      these[i] ? { ErrorCode: these[i], ErrorMessage: `${these[i]} message` } : { EventId: `id-${call}-${i}` },
    );
    return { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries };
  });
}

beforeEach(() => {
  eb.reset();
  answer();
});

describe('Class: EventPublisher', () => {
  describe('Method: publish', () => {
    it('sends at most ten entries per request', async () => {
      // Act
      const res = await new EventPublisher(client, noSleep).publish(items(23));

      // Assess
      expect(requests().map((r) => r.length)).toEqual([10, 10, 3]);
      expect(res.sent.map((s) => s.ref)).toEqual(Array.from({ length: 23 }, (_, i) => i));
      expect(res.failed).toEqual([]);
    });

    it('keeps each request within 256 KiB: ten ~30 KiB entries go in two requests', async () => {
      // Act
      const res = await new EventPublisher(client, noSleep).publish(items(10, 30 * 1024));

      // Assess
      expect(requests().map((r) => r.length)).toEqual([8, 2]);
      for (const r of requests()) expect(requestBytes(r)).toBeLessThanOrEqual(MAX_PUT_BYTES);
      expect(res.sent).toHaveLength(10);
    });

    it('refuses an entry above 256 KiB without sending it, naming its size', async () => {
      // Prepare
      const big = { entry: entry(99, MAX_PUT_BYTES), ref: 99 };

      // Act
      const res = await new EventPublisher(client, noSleep).publish([...items(2), big]);

      // Assess
      expect(res.failed).toEqual([
        expect.objectContaining({ ref: 99, code: 'EntryTooLarge', retryable: false, size: putEntrySize(big.entry) }),
      ]);
      expect(requests().flat()).toHaveLength(2);
    });

    it('retries only the entries refused with a retryable code, then reports the rest', async () => {
      // Prepare: entry 1 throttled once, entry 2 malformed
      answer(['', 'ThrottlingException', 'MalformedDetail']);
      const sleeps: number[] = [];

      // Act
      const res = await new EventPublisher(client, { sleep: async (ms) => void sleeps.push(ms), random: () => 1 }).publish(items(3));

      // Assess
      expect(requests().map((r) => r.map((e) => JSON.parse(e.Detail!).i))).toEqual([[0, 1, 2], [1]]);
      expect(res.sent.map((s) => s.ref)).toEqual([0, 1]);
      expect(res.failed).toEqual([expect.objectContaining({ ref: 2, code: 'MalformedDetail', retryable: false })]);
      expect(sleeps).toEqual([50]);
    });

    it('gives up after maxAttempts and reports the refusal as retryable', async () => {
      // Prepare
      answer(['InternalFailure'], ['InternalFailure'], ['InternalFailure'], ['InternalFailure']);

      // Act
      const res = await new EventPublisher(client, { ...noSleep, maxAttempts: 3 }).publish(items(1));

      // Assess
      expect(requests()).toHaveLength(3);
      expect(res.failed).toEqual([expect.objectContaining({ ref: 0, code: 'InternalFailure', retryable: true })]);
      expect(res.requests).toBe(3);
    });

    it('counts an entry without an answer in a failed response as not sent', async () => {
      // Prepare
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }] });

      // Act
      const res = await new EventPublisher(client, { ...noSleep, maxAttempts: 1 }).publish(items(2));

      // Assess
      expect(res.sent.map((s) => s.ref)).toEqual([0]);
      expect(res.failed).toEqual([expect.objectContaining({ ref: 1, code: 'NoEntryResult', retryable: false })]);
    });

    it('throws an SDK error for the whole request as it is', async () => {
      // Prepare
      eb.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

      // Act / Assess
      await expect(new EventPublisher(client, noSleep).publish(items(1))).rejects.toThrow('denied');
    });
  });

  describe('Method: publishAll', () => {
    it.each([
      [['ThrottlingException'], PublishRetryableError, true],
      [['MalformedDetail'], PublishError, false],
    ])('throws a typed error when %s is refused', async (codes, type, transient) => {
      // Prepare
      answer(codes, codes, codes);

      // Act
      const act = new EventPublisher(client, noSleep).publishAll([entry(0)], 'outcome(s)');

      // Assess
      await expect(act).rejects.toThrow(type);
      await act.catch((err: unknown) => {
        expect(err instanceof TransientError).toBe(transient);
        expect((err as Error).message).toContain(`1 of 1 outcome(s) refused by bus bus: ${codes[0]}`);
      });
    });
  });
});

describe('Function: batchPutEntries', () => {
  it('keeps order and never exceeds ten entries or 256 KiB per request (an oversized item alone)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 * 1024 }), { maxLength: 60 }), (sizes) => {
        // Act
        const batches = batchPutEntries(sizes, (s) => s);

        // Assess
        expect(batches.flat()).toEqual(sizes);
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(10);
          if (b.length > 1) expect(b.reduce((n, s) => n + s, 0)).toBeLessThanOrEqual(MAX_PUT_BYTES);
        }
      }),
      { seed: 20261206, numRuns: 200 },
    );
  });
});
