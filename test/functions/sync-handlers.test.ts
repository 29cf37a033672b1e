import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { handleItems } from '../../functions/sync-apply-items/handler';
import { handleStream } from '../../functions/sync-apply-stream/handler';
import { forgetSourceUrl, readSourceUrl, SecretError } from '../../adapters/aws/secrets';
import type { RowChange } from '../../core/sync/change';
import type { ItemApplyOutcome } from '../../adapters/dynamodb/sync-item-applier';

const sqs = mockClient(SQSClient);

/** Records what a handler publishes (the Powertools Metrics calls it makes). */
function recordingMetrics() {
  const calls: string[] = [];
  return {
    calls,
    addDimension(name: string, value: string): void {
      calls.push(`dim ${name}=${value}`);
    },
    addMetric(name: string, _unit: unknown, value: number): void {
      calls.push(`${name}=${value}`);
    },
    publishStoredMetrics(): void {
      calls.push('publish');
    },
  };
}
const sm = mockClient(SecretsManagerClient);
afterEach(() => {
  sqs.reset();
  sm.reset();
});

const change = (id: string, table = 'stock'): RowChange => ({
  source: 'shop',
  changeId: id,
  table,
  key: { sku: 'S', warehouse_cd: 'W' },
  operation: 'update',
  changedColumns: ['on_hand'],
  before: null,
  after: null,
  txId: 't',
  origin: 'app',
  committedAt: '2026-12-06T02:00:00.000Z',
});

function sqsEvent(messages: { id: string; group: string; body: RowChange }[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.id,
      receiptHandle: 'r',
      body: JSON.stringify(m.body),
      attributes: { MessageGroupId: m.group, MessageDeduplicationId: `d${m.id}` } as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:0:changes.fifo',
      awsRegion: 'us-east-1',
    })),
  };
}

describe('Function: handleItems', () => {
  it('fails the rest of a group after a failure and carries on with other groups', async () => {
    // Prepare
    const applied: string[] = [];
    const applier = {
      apply: async (c: RowChange): Promise<ItemApplyOutcome> => {
        if (c.changeId === '2') throw new Error('throttled');
        applied.push(c.changeId);
        return { status: 'applied' };
      },
    };
    const event = sqsEvent([
      { id: 'm1', group: 'A', body: change('1') },
      { id: 'm2', group: 'A', body: change('2') },
      { id: 'm3', group: 'B', body: change('3') },
      { id: 'm4', group: 'A', body: change('4') },
    ]);

    const metrics = recordingMetrics();

    // Act
    const out = await handleItems(event, { applier, sqs: new SQSClient({}), rejectsQueueUrl: 'q', metrics });

    // Assess
    expect(applied).toEqual(['1', '3']);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm4' }]);
    expect(metrics.calls).toEqual(['dim Direction=toService', 'ApplyErrors=2', 'publish']);
  });

  it('reports a whole failed batch instead of throwing, and keeps a message without a group on its own', async () => {
    // Prepare
    const applier = {
      apply: async (): Promise<ItemApplyOutcome> => {
        throw new Error('table gone');
      },
    };
    const event = sqsEvent([
      { id: 'm1', group: 'A', body: change('1') },
      { id: 'm2', group: 'B', body: change('2') },
    ]);

    // Act
    const out = await handleItems(event, { applier, sqs: new SQSClient({}), rejectsQueueUrl: 'q' });

    // Assess
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
  });

  it('applies the later messages of a group that did not fail, in order, while another group is skipped', async () => {
    // Prepare
    const applied: string[] = [];
    const applier = {
      apply: async (c: RowChange): Promise<ItemApplyOutcome> => {
        if (c.changeId === '1') throw new Error('throttled');
        applied.push(c.changeId);
        return { status: 'applied' };
      },
    };
    const event = sqsEvent([
      { id: 'm1', group: 'A', body: change('1') },
      { id: 'm2', group: 'B', body: change('2') },
      { id: 'm3', group: 'A', body: change('3') },
      { id: 'm4', group: 'B', body: change('4') },
      { id: 'm5', group: 'A', body: change('5') },
    ]);

    // Act
    const out = await handleItems(event, { applier, sqs: new SQSClient({}), rejectsQueueUrl: 'q' });

    // Assess
    expect(applied).toEqual(['2', '4']);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }, { itemIdentifier: 'm5' }]);
  });

  it('sends a rejected row to the rejects queue with its reason and acknowledges it', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});
    const reject = {
      entity: 'stock',
      key: { sku: 'S' },
      table: 'stock',
      column: 'on_hand',
      value: 'lots',
      reason: 'expected a whole number such as "3", got "lots"',
    };
    const applier = { apply: async (): Promise<ItemApplyOutcome> => ({ status: 'rejected', reject }) };

    // Act
    const out = await handleItems(sqsEvent([{ id: 'm1', group: 'A', body: change('1') }]), {
      applier,
      sqs: new SQSClient({}),
      rejectsQueueUrl: 'https://sqs/rejects.fifo',
    });

    // Assess
    expect(out.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent.QueueUrl).toBe('https://sqs/rejects.fifo');
    expect(sent.MessageGroupId).toBe('A');
    expect(JSON.parse(sent.MessageBody!)).toMatchObject({
      reason: reject.reason,
      reject: { column: 'on_hand', value: 'lots' },
      change: { changeId: '1' },
    });
  });

  it('retries a rejected row whose record could not be kept', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('queue gone'));
    const applier = {
      apply: async (): Promise<ItemApplyOutcome> => ({
        status: 'rejected',
        reject: { entity: 'stock', key: {}, table: 'stock', reason: 'bad' },
      }),
    };

    // Act
    const out = await handleItems(sqsEvent([{ id: 'm1', group: 'A', body: change('1') }]), {
      applier,
      sqs: new SQSClient({}),
      rejectsQueueUrl: 'q',
    });

    // Assess
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });
});

describe('Function: handleStream', () => {
  const record = (seq: string, key: string) => ({
    eventName: 'MODIFY' as const,
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:0:table/inventory/stream/x',
    dynamodb: { Keys: { sku: { S: key } }, SequenceNumber: seq },
  });

  it('reports the first failed sequence number so the stream resumes there', async () => {
    // Prepare
    const seen: string[] = [];
    const applier = {
      apply: async (r: { dynamodb?: { SequenceNumber?: string } }) => {
        const seq = r.dynamodb!.SequenceNumber!;
        if (seq === '200') throw new Error('database down');
        seen.push(seq);
        return { status: 'applied' as const };
      },
    };
    const event = {
      Records: [record('100', 'a'), record('200', 'b'), record('300', 'a'), record('400', 'b')],
    } as unknown as DynamoDBStreamEvent;

    const metrics = recordingMetrics();

    // Act
    const out = await handleStream(event, applier, metrics);

    // Assess
    expect(seen).toEqual(['100', '300']);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '200' }]);
    expect(metrics.calls).toEqual(['dim Direction=toMonolith', 'ApplyErrors=2', 'publish']);
  });
});

describe('Function: readSourceUrl', () => {
  it.each([
    ['a JSON secret with url', '{"url":"postgres://u:p@db:5432/shop","username":"u"}', 'postgres://u:p@db:5432/shop'],
    ['a plain text secret', 'mysql://root@db:3306/shop', 'mysql://root@db:3306/shop'],
  ])('reads %s', async (_name, secret, want) => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: secret });

    // Act
    const url = await readSourceUrl(`arn:${want}`, new SecretsManagerClient({}));

    // Assess
    expect(url).toBe(want);
  });

  it.each([
    ['{"host":"db"}', 'is JSON without a "url" field'],
    ['hunter2', 'does not hold a connection URL'],
    ['', 'has no text value'],
  ])('refuses %j', async (secret, message) => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: secret });

    // Act / Assess
    await expect(readSourceUrl('s', new SecretsManagerClient({}))).rejects.toThrow(SecretError);
    await expect(readSourceUrl('s', new SecretsManagerClient({}))).rejects.toThrow(message);
  });

  it('keeps the URL for the warm function until told to forget it (the stream handler does after a failed batch)', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"url":"postgres://db/one"}' });
    const first = await readSourceUrl('cached-secret');
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"url":"postgres://db/two"}' });

    // Act
    const cached = await readSourceUrl('cached-secret');
    forgetSourceUrl('cached-secret');
    const reread = await readSourceUrl('cached-secret');

    // Assess
    expect([first, cached, reread]).toEqual(['postgres://db/one', 'postgres://db/one', 'postgres://db/two']);
  });
});
