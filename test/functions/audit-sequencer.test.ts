import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { parseAuditQueueMessage } from '../../core/audit';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { sequence, type AuditSequencerDeps } from '../../functions/audit-sequencer/handler';
import { Logger } from '../../functions/shared/logger';

const spec = parseSpec(config);
const placed = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
const sqs = mockClient(SQSClient);

const ebEvent = (id: string, orderNo: number) => ({
  version: '0',
  id,
  'detail-type': 'ORDER_PLACED',
  source: 'shop.monolith',
  time: '2026-11-21T14:30:05Z',
  detail: { ...placed, ORDER_NO: String(orderNo), MSG_ID: `MSG-${orderNo}-${id}` },
});

/** Intake records as EventBridge delivers them to a standard queue: the whole event as the body. */
const intake = (bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `in-${i}`,
    receiptHandle: `rh-${i}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:intake',
    awsRegion: 'us-east-1',
  })),
});

const deps = (): AuditSequencerDeps => ({
  spec,
  sqs: new SQSClient({ region: 'us-east-1' }),
  queueUrl: 'https://sqs/audit.fifo',
  bus: 'legacy',
  logger: new Logger('test'),
});

afterEach(() => sqs.reset());

describe('Function: audit-sequencer', () => {
  describe('Method: sequence', () => {
    it('sends each event with its audit stream as group and its event id as deduplication id, in order', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
      const events = [ebEvent('a', 1000001), ebEvent('b', 1000002), ebEvent('c', 1000001)];

      // Act
      const response = await sequence(intake(events.map((e) => JSON.stringify(e))), deps());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const [call] = sqs.commandCalls(SendMessageBatchCommand);
      const entries = call.args[0].input.Entries!;
      expect(entries.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
        ['order-1000001', 'a'],
        ['order-1000002', 'b'],
        ['order-1000001', 'c'],
      ]);
      expect(parseAuditQueueMessage(entries[0].MessageBody!)).toEqual({ bus: 'legacy', event: events[0] });
      expect(call.args[0].input.QueueUrl).toBe('https://sqs/audit.fifo');
    });

    it('sends in batches of ten', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
      const events = Array.from({ length: 23 }, (_v, i) => JSON.stringify(ebEvent(`e${i}`, 1000000 + (i % 4))));

      // Act
      await sequence(intake(events), deps());

      // Assess
      expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    });

    it('reports an entry SQS refused and every later event of its stream, and sends the other streams', async () => {
      // Prepare: the first chunk loses its second entry (stream order-1000002)
      sqs
        .on(SendMessageBatchCommand)
        .resolvesOnce({ Failed: [{ Id: '1', Code: 'ThrottlingException', SenderFault: false, Message: 'slow down' }] })
        .resolves({ Failed: [] });
      const events = Array.from({ length: 12 }, (_v, i) => JSON.stringify(ebEvent(`e${i}`, 1000001 + (i % 2))));

      // Act
      const response = await sequence(intake(events), deps());

      // Assess: e1 failed; e11 (same stream, next chunk) is held back, e10 (other stream) goes
      expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['in-1', 'in-11']);
      const second = sqs.commandCalls(SendMessageBatchCommand)[1].args[0].input.Entries!;
      expect(second.map((e) => e.MessageDeduplicationId)).toEqual(['e10']);
    });

    it('reports the whole chunk when the send itself fails, and a body that is not JSON', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).rejects(new Error('network down'));

      // Act
      const response = await sequence(intake([JSON.stringify(ebEvent('a', 1000001)), 'not json']), deps());

      // Assess
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['in-0', 'in-1']);
    });
  });
});
