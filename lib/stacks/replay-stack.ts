import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { Capture } from '../constructs/capture';
import { CutoverFunction } from '../constructs/cutover-function';
import { acknowledgeFunctionFindings } from '../constructs/function-acks';
import { Replay } from '../constructs/replay';
import { OUTPUTS } from '../../core/contract';

export interface ReplayStackProps extends StackProps {
  readonly spec: Spec;
  /** The bridge's legacy bus: what the monolith emits is captured from here. */
  readonly legacyBus: events.IEventBus;
  /** The bridge's services bus: `replay.requested` arrives here, `replay.*` lifecycle events go here (and into the audit log). */
  readonly servicesBus: events.IEventBus;
  /** Capability name -> the function of the implementation a replay targets. @default {} */
  readonly targets?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Deploy the reference "inventory-candidate" (a deliberately different inventory version, for the demo
   * and the e2e tests) and make it the `inventory` replay target, unless `targets` names one already.
   * @default false
   */
  readonly referenceCandidate?: boolean;
  /** See CaptureProps.piiSalt. */
  readonly piiSalt?: string;
}

/** Output keys the CLI, the tests and the demo read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck. */
export const REPLAY_OUTPUTS = OUTPUTS.replay;

/** Capture, replay and compare (issue 4), on top of the bridge's buses. */
export class ReplayStack extends Stack {
  public readonly capture: Capture;
  public readonly replay: Replay;
  public readonly candidate?: CutoverFunction;

  public constructor(scope: Construct, id: string, props: ReplayStackProps) {
    super(scope, id, props);
    this.capture = new Capture(this, 'Capture', { spec: props.spec, legacyBus: props.legacyBus, piiSalt: props.piiSalt });
    this.replay = new Replay(this, 'Replay', {
      spec: props.spec,
      servicesBus: props.servicesBus,
      capture: this.capture,
      targets: props.targets,
    });
    if (props.referenceCandidate && !props.targets?.inventory) {
      this.candidate = new CutoverFunction(this, 'InventoryCandidate', {
        functionDir: 'inventory-candidate',
        spec: props.spec,
        description: 'cutover: reference inventory candidate for shadow replay (one planted difference, see candidate.ts)',
        environment: { SHADOW_BUS_NAME: this.replay.shadowBus.eventBusName },
      });
      acknowledgeFunctionFindings(this.candidate);
      this.replay.shadowBus.grantPutEventsTo(this.candidate);
      this.replay.addTarget('inventory', this.candidate);
    }

    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(
      REPLAY_OUTPUTS.capturedEventsTableName,
      this.capture.table.tableName,
      'Captured monolith events (inputs by entity, outcomes by correlation; TTL)',
    );
    out(REPLAY_OUTPUTS.replayStateTableName, this.replay.stateTable.tableName, 'One item per replay: status, phase, checkpoint');
    out(
      REPLAY_OUTPUTS.diffReportTableName,
      this.replay.reportTable.tableName,
      'Per replay: what was sent, what came back, skips, and the diff report',
    );
    out(REPLAY_OUTPUTS.replayFunctionName, this.replay.function.functionName, 'The replay runner');
    out(REPLAY_OUTPUTS.replayQueueUrl, this.replay.queue.queueUrl, 'Replay work queue: start and continue messages');
    out(REPLAY_OUTPUTS.replayDlqUrl, this.replay.deadLetterQueue.queueUrl, 'Replay work that failed after every retry');
    out(
      REPLAY_OUTPUTS.captureFunctionName,
      this.capture.function.functionName,
      'The capture function (monolith events and replay outcomes)',
    );
    out(REPLAY_OUTPUTS.captureQueueUrl, this.capture.queue.queueUrl, 'Monolith events waiting to be captured');
    out(REPLAY_OUTPUTS.captureDlqUrl, this.capture.deadLetterQueue.queueUrl, 'Events capture could not deliver or store after every retry');
    out(
      REPLAY_OUTPUTS.shadowBusName,
      this.replay.shadowBus.eventBusName,
      'Where replay targets put their outcome events (no live rule reads it)',
    );
    out(REPLAY_OUTPUTS.replayTargets, this.replay.targetsJson(), 'Replay targets: capability -> function name (JSON)');
    if (this.candidate) out(REPLAY_OUTPUTS.candidateFunctionName, this.candidate.functionName, 'The reference inventory candidate');
  }
}
