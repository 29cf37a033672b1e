import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { stepFunctionsClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import type { Spec } from '../../core/spec';
import { isServiceEvent } from '../../core/events/envelope';
import { toStepError } from '../../core/saga/errors';
import { prepareSagaStart } from '../../core/saga/start';

/*
 * Starts the order saga for each order event on the services bus (or a direct `{ order }` invocation). The
 * execution is named by the order id: a redelivered event finds the saga already started and does nothing.
 * An invalid order throws with every problem named, so the rule's retries and dead-letter queue keep it.
 * Env: ORDER_SAGA_ARN; the spec is bundled in.
 */

export interface StartResult {
  readonly orderId: string;
  readonly executionArn: string;
  readonly started: boolean;
}

export interface SagaStarterDeps {
  readonly spec: Spec;
  readonly stateMachineArn: string;
  readonly sfn: SFNClient;
  readonly logger?: Logger;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function createSagaStarterHandler(deps: SagaStarterDeps): (event: unknown) => Promise<StartResult> {
  const logger = deps.logger ?? new Logger('saga-starter');
  return async (event: unknown) => {
    const e = event as { detail?: unknown; order?: unknown };
    let start;
    if (isServiceEvent(e?.detail)) {
      start = prepareSagaStart(deps.spec, e.detail.data, e.detail.metadata.version);
    } else {
      start = prepareSagaStart(deps.spec, e?.order);
    }
    try {
      const out = await deps.sfn.send(
        new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name: start.name, input: JSON.stringify(start.input) }),
      );
      logger.info('saga started', { orderId: start.name, executionArn: out.executionArn });
      return { orderId: start.name, executionArn: out.executionArn!, started: true };
    } catch (err) {
      if ((err as { name?: string }).name !== 'ExecutionAlreadyExists') throw toStepError(err, { orderId: start.name });
      const executionArn = executionArnFor(deps.stateMachineArn, start.name);
      logger.info('saga already started for this order: nothing to do', { orderId: start.name, executionArn });
      return { orderId: start.name, executionArn, started: false };
    }
  };
}

let instance: ((event: unknown) => Promise<StartResult>) | undefined;

export async function handler(event: unknown): Promise<StartResult> {
  instance ??= createSagaStarterHandler({ spec: loadSpec(), stateMachineArn: requireEnv('ORDER_SAGA_ARN'), sfn: stepFunctionsClient() });
  return instance(event);
}
