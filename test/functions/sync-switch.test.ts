import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SyncSwitch, SyncSwitchError } from '../../adapters/aws/sync-switch';
import { syncStartCommand, syncStopCommand } from '../../cli/commands/sync-switch';

const lambda = mockClient(LambdaClient);
const eventBridge = mockClient(EventBridgeClient);
const secrets = mockClient(SecretsManagerClient);

const STREAM = (t: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${t}/stream/2026-12-06T00:00:00.000`;

/** A fake of the deployed parts: the rule and the mappings change state as the calls ask. */
const calls: string[] = [];

function deployed(initial: 'on' | 'off') {
  calls.length = 0;
  let rule = initial === 'on' ? 'ENABLED' : 'DISABLED';
  const mappings = [
    { UUID: 'm-inventory', EventSourceArn: STREAM('inventory-x'), State: initial === 'on' ? 'Enabled' : 'Disabled' },
    { UUID: 'm-orders', EventSourceArn: STREAM('orders-x'), State: initial === 'on' ? 'Enabled' : 'Disabled' },
    { UUID: 'm-sqs', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:changes.fifo', State: 'Enabled' },
  ];
  lambda.on(ListEventSourceMappingsCommand).callsFake(() => ({ EventSourceMappings: mappings.map((m) => ({ ...m })) }));
  lambda.on(UpdateEventSourceMappingCommand).callsFake((input: { UUID: string; Enabled: boolean }) => {
    calls.push(`mapping ${input.UUID} ${input.Enabled ? 'on' : 'off'}`);
    const m = mappings.find((x) => x.UUID === input.UUID)!;
    m.State = input.Enabled ? 'Enabled' : 'Disabled';
    return { ...m };
  });
  eventBridge.on(DescribeRuleCommand).callsFake(() => ({ State: rule }));
  eventBridge.on(EnableRuleCommand).callsFake(() => {
    calls.push('relay on');
    rule = 'ENABLED';
    return {};
  });
  eventBridge.on(DisableRuleCommand).callsFake(() => {
    calls.push('relay off');
    rule = 'DISABLED';
    return {};
  });
}

const newSwitch = () =>
  new SyncSwitch({
    relayRuleName: 'relay-rule',
    streamFunctionName: 'stream-fn',
    sourceSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:src',
    lambda: new LambdaClient({}),
    eventBridge: new EventBridgeClient({}),
    secrets: new SecretsManagerClient({}),
  });

afterEach(() => {
  lambda.reset();
  eventBridge.reset();
  secrets.reset();
});

describe('Class: SyncSwitch', () => {
  describe('Method: start', () => {
    it('turns every stream mapping and the relay schedule on once the secret holds a URL, leaving the queue mapping alone', async () => {
      // Prepare
      deployed('off');
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ url: 'postgres://u@db:5432/shop' }) });

      // Act
      const before = await newSwitch().status();
      const after = await newSwitch().start();

      // Assess
      expect(before.state).toBe('stopped');
      expect(after.state).toBe('running');
      expect(lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input)).toEqual([
        { UUID: 'm-inventory', Enabled: true },
        { UUID: 'm-orders', Enabled: true },
      ]);
      expect(after.streams.map((s) => s.table)).toEqual(['inventory-x', 'orders-x']);
      expect(calls).toEqual(['mapping m-inventory on', 'mapping m-orders on', 'relay on']);
    });

    it.each([
      ['the generated placeholder', 'x7Fq!2random'],
      ['JSON without a url', '{"user":"app"}'],
    ])('refuses to start while the secret holds %s, turning nothing on', async (_name, secret) => {
      // Prepare
      deployed('off');
      secrets.on(GetSecretValueCommand).resolves({ SecretString: secret });

      // Act / Assess
      await expect(newSwitch().start()).rejects.toThrow(SyncSwitchError);
      await expect(newSwitch().start()).rejects.toThrow(/does not hold the monolith URL yet/);
      expect(lambda.commandCalls(UpdateEventSourceMappingCommand)).toHaveLength(0);
      expect(eventBridge.commandCalls(EnableRuleCommand)).toHaveLength(0);
    });
  });

  describe('Method: stop', () => {
    it('turns the relay schedule off before the stream mappings', async () => {
      // Prepare
      deployed('on');

      // Act
      const after = await newSwitch().stop();

      // Assess
      expect(after.state).toBe('stopped');
      expect(calls).toEqual(['relay off', 'mapping m-inventory off', 'mapping m-orders off']);
    });
  });
});

describe('Command: cutover sync start|stop', () => {
  it('prints the state and exits 0 on start, 2 with the reason when the secret is not filled', async () => {
    // Prepare
    deployed('off');
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: '' }).resolves({ SecretString: '{"url":"mysql://root@db/shop"}' });
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };

    // Act
    const refused = await syncStartCommand({}, io, newSwitch());
    const ok = await syncStartCommand({}, io, newSwitch());
    const stopped = await syncStopCommand({}, io, newSwitch());

    // Assess
    expect([refused, ok, stopped]).toEqual([2, 0, 0]);
    expect(err.join('')).toMatch(/sync not started: the source secret .* does not hold the monolith URL yet/);
    expect(out.join('')).toMatch(/sync: running\n {2}relay schedule: ENABLED\n {2}stream inventory-x: Enabled/);
    expect(out.join('')).toMatch(/sync: stopped\n/);
  });
});
