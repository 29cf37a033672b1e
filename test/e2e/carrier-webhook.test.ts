import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomInt } from 'node:crypto';
import type { OutputKey } from '../../core/contract';
import { signWebhook } from '../../core/providers/webhook-signature';
import { newOrderId, sampleOrder, waitingFor } from './saga-driver';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';

/*
 * The carrier's signed webhook on MiniStack, sent as a carrier would: a saga waits for the carrier
 * (ScheduleShipping, task token); a POST with a wrong signature gets 401 and the saga still waits; the
 * correctly signed POST resumes it to completion. MiniStack serves the REST API at
 * /_aws/execute-api/<apiId>/<stage>/<path>.
 */

const SAGA_TIMEOUT_MS = 240_000;
let ctx: E2eContext;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;
let out: (key: OutputKey) => string;
let secret: string;
let url: string;

beforeAll(async () => {
  ctx = loadE2eContext();
  sfn = new SFNClient(sdkConfig(ctx.endpoint));
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(ctx.endpoint)), { marshallOptions: { removeUndefinedValues: true } });
  out = (key) => stackOutput(ctx, key);
  const sm = new SecretsManagerClient(sdkConfig(ctx.endpoint));
  const text = (await sm.send(new GetSecretValueCommand({ SecretId: out('CarrierWebhookSecretArn') }))).SecretString!;
  secret = (JSON.parse(text) as { current: string }).current;
  url = `${ctx.endpoint}/_aws/execute-api/${out('CarrierWebhookApiId')}/${out('CarrierWebhookStage')}/carrier/webhook`;
});

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

async function status(executionArn: string): Promise<string> {
  return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status!;
}

describe('E2E: carrier webhook', () => {
  it(
    'a wrong signature gets 401 and the saga still waits; the signed dispatch resumes it to completion',
    async () => {
      // Prepare: an order whose saga reaches ScheduleShipping and waits for the carrier.
      const orderId = newOrderId();
      const sku = `WH${String.fromCharCode(65 + randomInt(26))}-${String(randomInt(10_000)).padStart(4, '0')}`;
      await doc.send(new PutCommand({ TableName: out('InventoryTableName'), Item: { pk: `SKU#${sku}`, sku, available: 10, holds: {} } }));
      const order = sampleOrder(orderId, sku);
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: out('OrderSagaArn'), name: orderId, input: JSON.stringify({ order }) }),
      );
      const executionArn = started.executionArn!;
      await waitingFor(doc, out('SagaCallbacksTableName'), orderId, 'ScheduleShipping', SAGA_TIMEOUT_MS);

      const body = JSON.stringify({
        eventId: `evt-e2e-${orderId}`,
        type: 'shipment.dispatched',
        orderId,
        shipmentId: `SHP${orderId}`,
        carrier: 'rm',
        trackingNumber: `RM${orderId}`,
        parcels: 1,
        occurredAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });

      // Act 1: a forged request.
      const forged = await post(body, signWebhook('not-the-carrier-secret', body));
      await new Promise((r) => setTimeout(r, 3_000));

      // Assess 1
      expect(forged.status).toBe(401);
      expect(await status(executionArn)).toBe('RUNNING');

      // Act 2: the carrier's own request.
      const signed = await post(body, signWebhook(secret, body));

      // Assess 2
      expect(signed).toEqual({ status: 200, body: expect.objectContaining({ status: 'accepted', detailType: 'shipment.dispatched' }) });
      const final = await waitFor(
        async () => {
          const s = await status(executionArn);
          return s === 'RUNNING' ? undefined : s;
        },
        { what: `the saga of order ${orderId} to end`, timeoutMs: SAGA_TIMEOUT_MS, intervalMs: 1_000 },
      );
      expect(final).toBe('SUCCEEDED');
      const shipment = (await doc.send(new GetCommand({ TableName: out('ShipmentsTableName'), Key: { orderId }, ConsistentRead: true })))
        .Item;
      expect(shipment).toMatchObject({ status: 'dispatched', trackingNumber: `RM${orderId}` });

      // A replay of the accepted request is refused.
      expect((await post(body, signWebhook(secret, body))).status).toBe(409);
    },
    SAGA_TIMEOUT_MS * 2 + 60_000,
  );
});
