import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { documentClient, eventBridgeClient, stepFunctionsClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import type { Spec } from '../../core/spec';
import type { MonolithExchange } from '../../core/spec/saga';
import { InvalidStepInput, StepTransientError, toStepError } from '../../core/saga/errors';
import { buildCommand } from '../../core/saga/exchange';
import { parseStepInput } from '../../core/saga/input';
import { COMPENSATION_OF, SAGA_STEPS, type AwaitedAction } from '../../core/saga/steps';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { CallbackRegistry, TaskCallbacks } from '../../adapters/dynamodb/callback-registry';
import { ENV } from '../../core/contract';

/*
 * A step (or compensation) the monolith owns: file the task token under (orderId, action) in the callback
 * registry, THEN put the command on the services bus, where a bridge translation turns it into the legacy
 * command. The order matters: the reply can only arrive after the command, and by then the token is filed.
 * The command's id depends on the saga run and the action only, so a resend after a reply timeout keeps the
 * monolith's message id and the monolith de-duplicates it.
 * Failures are reported through the token (an emulator may ignore a callback Lambda's thrown error).
 * Env: SERVICES_BUS_NAME, SAGA_CALLBACKS_TABLE_NAME, CUTOVER_FAULTS (optional); the spec is bundled in.
 */

export interface SagaCommandsDeps {
  readonly spec: Spec;
  readonly busName: string;
  readonly events: EventBridgeClient;
  readonly registry: CallbackRegistry;
  readonly callbacks: TaskCallbacks;
  readonly now?: () => Date;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

/** The monolith exchange for an action id (a step, or a step's compensation). */
export function exchangeFor(spec: Spec, action: string): MonolithExchange | undefined {
  for (const step of SAGA_STEPS) {
    const m = spec.saga?.steps[step].monolith;
    if (!m) continue;
    if (action === step) return m.forward;
    if (action === COMPENSATION_OF[step]) return m.compensation;
  }
  return undefined;
}

export function createSagaCommandsHandler(deps: SagaCommandsDeps): (event: unknown) => Promise<unknown> {
  const now = deps.now ?? (() => new Date());
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('saga-commands');
  return async (event: unknown) => {
    const input = parseStepInput(event, ['forward', 'compensate']);
    const token = input.taskToken;
    if (!token) throw new InvalidStepInput(`${input.step}: taskToken is required (the state machine calls this with .waitForTaskToken)`);
    const log = logger.child({ orderId: input.orderId, action: input.step, correlationId: input.correlationId });
    try {
      const exchange = exchangeFor(deps.spec, input.step);
      if (!exchange) throw new InvalidStepInput(`${input.step}: the spec declares no monolith exchange for it`, { action: input.step });
      const command = buildCommand(deps.spec, exchange, input.step as AwaitedAction, {
        order: input.order,
        correlationId: input.correlationId,
        sagaId: input.sagaId,
        now: now(),
        failure: input.failure,
        failedStep: input.failedStep,
      });
      await faults.around(input.step, input.orderId, async () => {
        await deps.registry.register(input.orderId, input.step, token, {
          timeoutSeconds: exchange.replyTimeoutSeconds,
          commandEventId: command.detail.metadata.eventId,
        });
        const out = await new EventPublisher(deps.events).publish([
          {
            ref: undefined,
            entry: {
              EventBusName: deps.busName,
              Source: command.detail.metadata.producer,
              DetailType: command.detailType,
              Detail: JSON.stringify(command.detail),
            },
          },
        ]);
        const e = out.failed[0];
        if (e !== undefined)
          throw new StepTransientError(`the services bus refused ${command.detailType}: ${e.code} ${e.message}`.trim(), { code: e.code });
      });
      log.info('command sent; waiting for the monolith', { command: command.detailType, eventId: command.detail.metadata.eventId });
      return { status: 'sent', command: command.detailType, eventId: command.detail.metadata.eventId };
    } catch (err) {
      const error = toStepError(err, { orderId: input.orderId, action: input.step });
      log.warn('could not send the command; failing the task', { error });
      await deps.callbacks.fail(token, error.name, error.message);
      return { status: 'failed', error: error.name };
    }
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  instance ??= createSagaCommandsHandler({
    spec: loadSpec(),
    busName: requireEnv('SERVICES_BUS_NAME'),
    events: eventBridgeClient(),
    registry: new CallbackRegistry({ ddb: documentClient(), tableName: requireEnv('SAGA_CALLBACKS_TABLE_NAME') }),
    callbacks: new TaskCallbacks(stepFunctionsClient()),
    faults: new FaultInjector(parseFaultPlan(process.env[ENV.cutoverFaults]), Math.random, undefined, { service: 'monolith' }),
  });
  return instance(event);
}
