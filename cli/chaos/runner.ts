import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent as SfnHistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomInt } from 'node:crypto';
import { buildChaosReport, type ChaosReport, type OrderRun, type QueueDepth } from '../../core/chaos/report';
import type { ChaosOrder, ChaosScenario } from '../../core/chaos/scenarios';
import { OUTPUTS, ENV } from '../../core/contract';
import { FAULT_SERVICES, resolveFaultPlan, type FaultPlan, type FaultService } from '../../core/saga/faults';
import { summarizeHistory, type HistoryEvent } from '../../core/saga/status';
import { CliError, explainAwsError, type AwsContext } from '../aws-context';

/*
 * Drives one chaos scenario on a deployed kit: sets the scenario's faults (CUTOVER_FAULTS and any other
 * environment) on the reference functions with UpdateFunctionConfiguration, places the orders, answers for
 * the carrier when shipping waits for it, waits for every saga to end, puts the functions' environment back
 * as it was, and reads what happened from the executions' histories, the inventory and the dead-letter queues.
 */

export interface ChaosClients {
  readonly context: AwsContext;
  readonly sfn: SFNClient;
  readonly lambda: LambdaClient;
  readonly sqs: SQSClient;
}

export interface ChaosRunOptions {
  /** Orders to place (scenarios with a fixed count ignore it). */
  readonly orders?: number;
  /** Give up on sagas still running after this long. @default 300 s */
  readonly timeoutSeconds?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Order ids in the range the reference spec accepts, distinct per run. */
function orderIds(n: number): string[] {
  const base = randomInt(60_000_000, 99_000_000);
  return Array.from({ length: n }, (_, i) => String(base + i));
}

function chaosSku(): string {
  const letter = () => String.fromCharCode(65 + randomInt(26));
  return `X${letter()}${letter()}-${String(randomInt(10_000)).padStart(4, '0')}`;
}

function orderOf(orderId: string, sku: string): Record<string, unknown> {
  return {
    orderId,
    customerId: 'C00042',
    placedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    amount: { total: '12.99', currency: 'EUR' },
    channel: 'web',
    lines: [{ lineNo: 1, sku, quantity: 1, unitPrice: '12.99' }],
    shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
  };
}

/** The reference functions by fault service, from the saga stack's output. */
async function referenceFunctions(context: AwsContext): Promise<Record<FaultService, string>> {
  const raw = await context.output(OUTPUTS.saga.referenceFunctions);
  const parsed = JSON.parse(raw) as Record<string, string>;
  for (const s of FAULT_SERVICES)
    if (!parsed[s]) throw new CliError(`stack output ${OUTPUTS.saga.referenceFunctions} names no ${s} function`, 'redeploy the saga stack');
  return parsed as Record<FaultService, string>;
}

/** Sets environment on functions and puts it back: each function's variables as they were before. */
class EnvironmentPatch {
  private readonly saved = new Map<string, Record<string, string>>();

  public constructor(private readonly lambda: LambdaClient) {}

  public async apply(functionName: string, changes: Record<string, string>): Promise<void> {
    const cfg = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const before = { ...(cfg.Environment?.Variables ?? {}) };
    if (!this.saved.has(functionName)) this.saved.set(functionName, before);
    await this.update(functionName, { ...before, ...changes });
  }

  public async restore(): Promise<string[]> {
    const failures: string[] = [];
    for (const [fn, vars] of this.saved) {
      try {
        await this.update(fn, vars);
      } catch (err) {
        failures.push(`${fn}: ${(err as Error).message}`);
      }
    }
    this.saved.clear();
    return failures;
  }

  private async update(functionName: string, variables: Record<string, string>): Promise<void> {
    await this.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Environment: { Variables: variables } }));
    // The next invocations must see the new environment: wait for the update to land.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const cfg = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      if (cfg.LastUpdateStatus !== 'InProgress' && cfg.State !== 'Pending') {
        if (cfg.LastUpdateStatus === 'Failed') throw new Error(`update failed: ${cfg.LastUpdateStatusReason ?? 'no reason given'}`);
        return;
      }
      if (Date.now() > deadline) throw new Error('the configuration update did not finish within 60 s');
      await sleep(500);
    }
  }
}

async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Every dead-letter queue the stacks name: the saga's, and the operations stack's list when it is deployed. */
async function deadLetterQueues(context: AwsContext): Promise<Record<string, string>> {
  const queues: Record<string, string> = { saga: await context.output(OUTPUTS.saga.deadLetterQueueUrl) };
  const all = await context.outputs();
  const listed = all.get(OUTPUTS.operations.deadLetterQueueUrls)?.[0]?.value;
  // The operations stack lists the saga's queue again under its own name: each queue once.
  if (listed)
    for (const [name, url] of Object.entries(JSON.parse(listed) as Record<string, string>))
      if (!Object.values(queues).includes(url)) queues[name] = url;
  return queues;
}

async function depths(sqs: SQSClient, queues: Record<string, string>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, url] of Object.entries(queues)) out[name] = await queueDepth(sqs, url).catch(() => -1);
  return out;
}

export interface ChaosRunResult {
  readonly report: ChaosReport;
  readonly sku: string;
  readonly faults: FaultPlan;
}

export async function runChaosScenario(
  scenario: ChaosScenario,
  clients: ChaosClients,
  options: ChaosRunOptions = {},
): Promise<ChaosRunResult> {
  const { context, sfn, lambda, sqs } = clients;
  const log = options.log ?? (() => undefined);
  const count = scenario.fixedOrders ?? options.orders ?? scenario.defaultOrders;
  const timeoutMs = (options.timeoutSeconds ?? 300) * 1000;
  const ddb = context.documentClient();
  const stateMachineArn = await context.output(OUTPUTS.saga.orderSagaArn);
  const inventoryTable = await context.output(OUTPUTS.saga.inventoryTable);
  const callbacksTable = await context.output(OUTPUTS.saga.callbacksTable);
  const servicesBus = await context.output(OUTPUTS.bridge.servicesBusName);
  const functions = await referenceFunctions(context);
  const queues = await deadLetterQueues(context);
  const executionArn = (id: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;

  const ids = orderIds(count);
  const sku = chaosSku();
  const stockBefore = scenario.stock ?? count;
  await ddb.send(new PutCommand({ TableName: inventoryTable, Item: { pk: `SKU#${sku}`, sku, available: stockBefore, holds: {} } }));
  const before = await depths(sqs, queues);

  const faults = resolveFaultPlan(scenario.faults(ids), new Date());
  const patch = new EnvironmentPatch(lambda);
  const runs: OrderRun[] = [];
  const started = new Set<string>();
  try {
    log(`setting faults on ${FAULT_SERVICES.map((s) => functions[s]).join(', ')}: ${JSON.stringify(faults)}`);
    for (const service of FAULT_SERVICES) {
      await patch
        .apply(functions[service], { [ENV.cutoverFaults]: JSON.stringify(faults), ...(scenario.environment?.[service] ?? {}) })
        .catch((err: unknown) => {
          throw explainAwsError(err, `setting the faults of ${functions[service]} (UpdateFunctionConfiguration)`);
        });
    }
    const plan: ChaosOrder[] = scenario.plan?.(ids) ?? ids.map((orderId) => ({ orderId }));
    const dispatched = new Set<string>();
    const ended = new Map<string, string>();
    const deadline = Date.now() + timeoutMs;
    let next = 0;
    let nextAt = Date.now();

    // One loop: start the next order when its turn comes, act as the carrier, and note which sagas ended.
    while (Date.now() < deadline && (next < plan.length || ended.size < started.size)) {
      if (next < plan.length && Date.now() >= nextAt && (await ready(plan[next]))) {
        const { orderId } = plan[next];
        await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name: orderId, input: JSON.stringify({ order: orderOf(orderId, sku) }) }),
        );
        started.add(orderId);
        log(`started order ${orderId}`);
        next++;
        nextAt = Date.now() + (scenario.staggerMs ?? 0);
      }
      for (const orderId of started) {
        if (ended.has(orderId)) continue;
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(orderId) }));
        if (d.status && d.status !== 'RUNNING') {
          ended.set(orderId, d.status);
          log(`order ${orderId} ended: ${d.status}`);
          continue;
        }
        if (!dispatched.has(orderId) && (await waitsForCarrier(orderId))) {
          await carrierDispatches(orderId);
          dispatched.add(orderId);
          log(`order ${orderId}: the carrier confirms dispatch`);
        }
      }
      await sleep(1000);
    }
    if (next < plan.length) log(`gave up before starting ${plan.length - next} order(s)`);
  } finally {
    const failures = await patch.restore();
    if (failures.length) log(`could not restore the environment of: ${failures.join('; ')}`);
    else log('faults removed: the functions have their environment back');
  }

  for (const orderId of ids) {
    if (!started.has(orderId)) {
      runs.push({ orderId, status: 'NOT_FOUND' });
      continue;
    }
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(orderId) }));
    const events: SfnHistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn: executionArn(orderId) }))
      events.push(...(page.events ?? []));
    runs.push({
      orderId,
      status: (d.status ?? 'NOT_FOUND') as OrderRun['status'],
      output: d.output ? (JSON.parse(d.output) as OrderRun['output']) : undefined,
      history: summarizeHistory(events.map((e) => ({ ...e, type: String(e.type), timestamp: e.timestamp ?? new Date(0) }) as HistoryEvent)),
    });
  }
  const after = await depths(sqs, queues);
  const dlq: QueueDepth[] = Object.keys(queues).map((name) => ({
    name,
    before: before[name],
    after: after[name],
    gates: name === 'saga' || name.startsWith('saga-') || name.startsWith('bridge-'),
  }));

  const sold: string[] = [];
  for (const orderId of ids) {
    const res = (await ddb.send(new GetCommand({ TableName: inventoryTable, Key: { pk: `RES#${orderId}` }, ConsistentRead: true }))).Item;
    if (res && (res.status === 'committed' || res.status === 'fulfilled')) sold.push(orderId);
  }
  const stockItem = (await ddb.send(new GetCommand({ TableName: inventoryTable, Key: { pk: `SKU#${sku}` }, ConsistentRead: true }))).Item;
  const preliminary = buildChaosReport(scenario.name, runs, dlq);
  const scenarioProblems =
    scenario.check?.({
      outcomes: preliminary.orders,
      sold,
      stockBefore,
      stockAfter: stockItem ? Number(stockItem.available) : undefined,
      retries: preliminary.retries,
    }) ?? [];
  return { report: buildChaosReport(scenario.name, runs, dlq, scenarioProblems), sku, faults };

  async function ready(order: ChaosOrder): Promise<boolean> {
    if (!order.startAfterReservationOf) return true;
    const res = (
      await ddb.send(
        new GetCommand({ TableName: inventoryTable, Key: { pk: `RES#${order.startAfterReservationOf}` }, ConsistentRead: true }),
      )
    ).Item;
    return !!res && typeof res.expiresAt === 'string' && Date.parse(res.expiresAt) <= Date.now();
  }

  async function waitsForCarrier(orderId: string): Promise<boolean> {
    const item = (
      await ddb.send(new GetCommand({ TableName: callbacksTable, Key: { orderId, action: 'ScheduleShipping' }, ConsistentRead: true }))
    ).Item;
    return !!item && !item.completedAt;
  }

  async function carrierDispatches(orderId: string): Promise<void> {
    const now = new Date().toISOString();
    const detail = {
      metadata: {
        eventId: `chaos-carrier-${orderId}`,
        eventType: 'shipment.dispatched',
        version: 1,
        correlationId: `order-${orderId}`,
        origin: 'service',
        producer: 'carrier.dpd',
        occurredAt: now,
        entity: { type: 'order', key: orderId },
      },
      data: {
        orderId,
        shipmentId: `SHP${orderId}`,
        carrier: 'dpd',
        trackingNumber: `TRK${orderId}`,
        parcels: 1,
        dispatchedAt: now.replace(/\.\d{3}Z$/, 'Z'),
      },
    };
    await context.eventBridge().send(
      new PutEventsCommand({
        Entries: [{ EventBusName: servicesBus, Source: 'carrier.dpd', DetailType: 'shipment.dispatched', Detail: JSON.stringify(detail) }],
      }),
    );
  }
}
