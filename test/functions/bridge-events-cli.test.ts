import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { AwsContext } from '../../cli/aws-context';
import { eventsPutCommand, parseEventLine } from '../../cli/commands/events';
import config from '../../cutover.config';

/*
 * `cutover events put` with EventBridge and CloudFormation mocked: batching, per-line results in input
 * order, exit codes, and how the bus name is found.
 */
const eb = mockClient(EventBridgeClient);
const cfn = mockClient(CloudFormationClient);

function run(lines: string[], opts: Partial<Parameters<typeof eventsPutCommand>[0]> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const context = new AwsContext({ prefix: 'Test', region: 'us-east-1' });
  const promise = eventsPutCommand(
    { bus: 'legacy', file: '-', config: 'cutover.config.ts', ...opts },
    {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      stdin: Readable.from(lines.map((l) => `${l}\n`)),
      context,
      cwd: `${__dirname}/../..`,
    },
  );
  return promise.then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

const placed = config.bridge.legacyEvents.ORDER_PLACED.examples[0];

beforeEach(() => {
  eb.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'Test-Bridge',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'LegacyBusName', OutputValue: 'test-legacy' },
          { OutputKey: 'ServicesBusName', OutputValue: 'test-services' },
        ],
      },
      {
        StackName: 'Other-Bridge',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [{ OutputKey: 'LegacyBusName', OutputValue: 'other-legacy' }],
      },
    ],
  });
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_e, i) => ({ EventId: `id-${i}` })),
  }));
});

describe('Function: parseEventLine', () => {
  it.each([
    [
      'a wrapped event',
      JSON.stringify({ detailType: 'ORDER_PLACED', detail: { A: 1 } }),
      undefined,
      { ok: true, detailType: 'ORDER_PLACED', detail: '{"A":1}' },
    ],
    [
      'a wrapped event with its source',
      JSON.stringify({ detailType: 'x.y', source: 'orders', detail: {} }),
      undefined,
      { ok: true, source: 'orders' },
    ],
    [
      'a bare payload with --type',
      JSON.stringify({ ORDER_NO: '1' }),
      'ORDER_PLACED',
      { ok: true, detailType: 'ORDER_PLACED', detail: '{"ORDER_NO":"1"}' },
    ],
    [
      'a bare payload without --type',
      JSON.stringify({ ORDER_NO: '1' }),
      undefined,
      { ok: false, reason: expect.stringMatching(/with --type <detail-type>/) },
    ],
    ['broken JSON', '{"a":', undefined, { ok: false, reason: expect.stringMatching(/^not JSON/) }],
    ['a list', '[1]', 'X', { ok: false, reason: 'expected a JSON object' }],
    [
      'a detail that is not an object',
      JSON.stringify({ detailType: 'X', detail: 'text' }),
      undefined,
      { ok: false, reason: 'detail: expected a JSON object' },
    ],
    [
      'an oversized event',
      JSON.stringify({ detailType: 'X', detail: { big: 'x'.repeat(300_000) } }),
      undefined,
      { ok: false, reason: expect.stringMatching(/EventBridge takes at most 262144/) },
    ],
  ])('reads %s', (_what, text, type, expected) => {
    expect(parseEventLine(text, 7, type)).toMatchObject({ line: 7, ...expected });
  });

  it('skips blank lines and # comments', () => {
    expect(parseEventLine('   ', 1)).toBeUndefined();
    expect(parseEventLine('# orders of the day', 1)).toBeUndefined();
  });
});

describe('Command: events put', () => {
  it('puts 23 lines as batches of 10, 10 and 3 on the bus named by the stack output, with the monolith source', async () => {
    // Prepare
    const lines = Array.from({ length: 23 }, (_v, i) =>
      JSON.stringify({ detailType: 'ORDER_PLACED', detail: { ...placed, MSG_ID: `MSG-CLI-${1000 + i}` } }),
    );

    // Act
    const { code, out } = await run(lines);

    // Assess
    expect(code).toBe(0);
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls.flat().every((e) => e.EventBusName === 'test-legacy' && e.Source === 'shop.monolith')).toBe(true);
    expect(out).toMatch(/23 accepted, 0 failed \(23 events, bus test-legacy\)/);
  });

  it('reports every line in input order, with the reason of each failure, and exits 1', async () => {
    // Prepare: line 2 is not JSON, line 4 is refused by EventBridge for good (a retryable code would be
    // retried by the publisher first)
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { EventId: 'b' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'not valid JSON' }],
    });
    const lines = [
      JSON.stringify({ detailType: 'A', detail: {} }),
      'oops',
      JSON.stringify({ detailType: 'B', detail: {} }),
      JSON.stringify({ detailType: 'C', detail: {} }),
    ];

    // Act
    const { code, out } = await run(lines);

    // Assess
    expect(code).toBe(1);
    const reported = out
      .trim()
      .split('\n')
      .slice(0, 4)
      .map((l) => l.replace(/\s+/g, ' '));
    expect(reported).toEqual([
      'line 1 accepted A a',
      'line 2 failed - not JSON (' + reported[1].split('not JSON (')[1],
      'line 3 accepted B b',
      'line 4 failed C MalformedDetail: not valid JSON',
    ]);
    expect(out).toMatch(/2 accepted, 2 failed/);
  });

  it('uses --bus-name, --type and --source without asking CloudFormation or the spec', async () => {
    const { code } = await run([JSON.stringify({ ORDER_NO: '1' })], {
      bus: 'services',
      busName: 'given-bus',
      type: 'order.created',
      source: 'orders',
      config: 'does-not-exist.ts',
    });
    expect(code).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0]).toMatchObject({
      EventBusName: 'given-bus',
      DetailType: 'order.created',
      Source: 'orders',
    });
  });

  it('gives service lines without a source the CLI source', async () => {
    await run([JSON.stringify({ detailType: 'order.created', detail: {} })], { bus: 'services' });
    expect(eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0]).toMatchObject({
      EventBusName: 'test-services',
      Source: 'cutover.cli',
    });
  });

  it('names the missing output and the fix when no stack of the prefix is deployed (exit 2)', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });

    // Act
    const { code, err } = await run(['{}']);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(/no stack output LegacyBusName in the 0 stack\(s\) named Test-\*/);
    expect(err).toMatch(/fix: deploy first/);
  });

  it('explains missing credentials instead of printing a stack', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const { code, err } = await run(['{}']);
    expect(code).toBe(2);
    expect(err).toMatch(/no AWS credentials\n {2}fix: set AWS_PROFILE/);
  });
});
