import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CutoverError } from '../../core/errors';
import { syncRunState, type SyncRunState } from '../../core/sync/switch';
import { readSourceUrl } from './secrets';

/** States in which Lambda refuses an update (ResourceInUseException); the mapping gets where it is going. */
const IN_TRANSITION = new Set(['Creating', 'Enabling', 'Disabling', 'Updating', 'Deleting']);

/** Starting or stopping the deployed sync failed, or it is not deployed as expected. */
export class SyncSwitchError extends CutoverError {}

export interface SyncSwitchProps {
  /** The relay schedule (stack output SyncRelayRuleName). */
  readonly relayRuleName: string;
  /** The services -> monolith applier (stack output SyncStreamFunctionName): its stream mappings. */
  readonly streamFunctionName: string;
  /** The monolith URL secret (stack output SyncSourceSecretArn), checked before starting. */
  readonly sourceSecretArn: string;
  readonly lambda?: LambdaClient;
  readonly eventBridge?: EventBridgeClient;
  readonly secrets?: SecretsManagerClient;
}

export interface SyncSwitchStatus {
  readonly state: SyncRunState;
  readonly relaySchedule: string;
  readonly streams: ReadonlyArray<{ readonly uuid: string; readonly table: string; readonly state: string }>;
}

/**
 * Turns the deployed sync on and off: the relay's schedule rule and the DynamoDB stream event source
 * mappings of the services -> monolith applier. Both deploy off (DataSyncProps.enabled), so nothing fails
 * on an empty secret; starting checks the secret first. Stopping turns the relay off first (no new
 * monolith changes are shipped), then the streams; records stay in the stream for 24 h and are read on
 * the next start from where the mapping stopped (TRIM_HORIZON for a mapping never started).
 */
export class SyncSwitch {
  private readonly lambda: LambdaClient;
  private readonly eventBridge: EventBridgeClient;

  public constructor(private readonly props: SyncSwitchProps) {
    this.lambda = props.lambda ?? new LambdaClient({});
    this.eventBridge = props.eventBridge ?? new EventBridgeClient({});
  }

  public async status(): Promise<SyncSwitchStatus> {
    const rule = await this.eventBridge.send(new DescribeRuleCommand({ Name: this.props.relayRuleName }));
    const mappings = await this.streamMappings();
    const streams = mappings.map((m) => ({
      uuid: m.UUID ?? '',
      table: tableOfStream(m.EventSourceArn ?? ''),
      state: m.State ?? 'unknown',
    }));
    const relaySchedule = rule.State ?? 'unknown';
    return { state: syncRunState({ rule: relaySchedule, mappings: streams.map((s) => s.state) }), relaySchedule, streams };
  }

  /** Checks the source secret, then turns the stream mappings and the relay schedule on. */
  public async start(): Promise<SyncSwitchStatus> {
    try {
      await readSourceUrl(this.props.sourceSecretArn, this.props.secrets ?? new SecretsManagerClient({}));
    } catch (cause) {
      throw new SyncSwitchError(
        `sync not started: the source secret ${this.props.sourceSecretArn} does not hold the monolith URL yet (${(cause as Error).message}); put {"url":"postgres://..."} in it after cutover sync install`,
        { secretArn: this.props.sourceSecretArn },
        { cause },
      );
    }
    // Every mapping is asked, whatever State it reports: the call is idempotent, and a reported State is not
    // trusted to mean the mapping polls (MiniStack reports a mapping created disabled as Enabled).
    for (const m of await this.streamMappings()) {
      if (!IN_TRANSITION.has(m.State ?? '')) await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: true }));
    }
    await this.eventBridge.send(new EnableRuleCommand({ Name: this.props.relayRuleName }));
    return this.status();
  }

  /** Turns the relay schedule off, then the stream mappings. A relay invocation in flight finishes its pass. */
  public async stop(): Promise<SyncSwitchStatus> {
    await this.eventBridge.send(new DisableRuleCommand({ Name: this.props.relayRuleName }));
    for (const m of await this.streamMappings()) {
      if (!IN_TRANSITION.has(m.State ?? '')) await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
    }
    return this.status();
  }

  private async streamMappings(): Promise<EventSourceMappingConfiguration[]> {
    const out: EventSourceMappingConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await this.lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: this.props.streamFunctionName, Marker: marker }),
      );
      for (const m of page.EventSourceMappings ?? []) if (/:dynamodb:.*\/stream\//.test(m.EventSourceArn ?? '')) out.push(m);
      marker = page.NextMarker;
    } while (marker);
    if (out.length === 0) {
      throw new SyncSwitchError(
        `the stream applier ${this.props.streamFunctionName} has no DynamoDB stream mappings: is the Sync stack deployed with synced tables?`,
        { functionName: this.props.streamFunctionName },
      );
    }
    return out;
  }
}

function tableOfStream(arn: string): string {
  return /:table\/([^/]+)\/stream\//.exec(arn)?.[1] ?? arn;
}
