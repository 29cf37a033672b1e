/**
 * Jest global setup for the e2e tier: start MiniStack (or reuse CUTOVER_ENDPOINT), deploy the app once for
 * the whole run, and record endpoint + stack outputs for the test files (`loadE2eContext`).
 *
 * Knobs: CUTOVER_ENDPOINT (reuse a running emulator), CUTOVER_E2E_STACKS (comma-separated stacks, default
 * all), CUTOVER_CDK_APP_DIR (another CDK app, for trying the harness), CUTOVER_E2E_VERBOSE=1 (stream logs),
 * CUTOVER_E2E_KEEP=1 (leave the emulator running after the run, for poking at it), CUTOVER_MONOLITH_SECRET_ARN and
 * CUTOVER_EXPORT_BUCKET/PREFIX/ENTITY (reuse a secret and an export bucket instead of making them).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as path from 'node:path';
import {
  CONTEXT_FILE_ENV,
  REGION,
  REPO_ROOT,
  deploy,
  startEmulator,
  stopEmulator,
  writeE2eContext,
  type E2eContext,
  type Emulator,
  sdkConfig,
} from './harness';
import { facadeDeployEnv } from './facade-driver';

/** Shared with the global teardown, which runs in the same process. */
export const EMULATOR_KEY = '__cutoverE2eEmulator';

export default async function globalSetup(): Promise<void> {
  const startedAt = Date.now();
  const emulator = await startEmulator();
  const startSeconds = (Date.now() - startedAt) / 1000;
  (globalThis as Record<string, unknown>)[EMULATOR_KEY] = emulator;
  log(`${emulator.startedByUs ? 'started' : 'reusing'} MiniStack at ${emulator.endpoint} (${startSeconds.toFixed(1)} s)`);
  try {
    const deployStarted = Date.now();
    const stacks = process.env.CUTOVER_E2E_STACKS?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // The façade stack needs its upstreams' URLs at synth; the façade e2e starts them on these ports.
    for (const [k, v] of Object.entries(facadeDeployEnv())) process.env[k] ??= v;
    // Continuous validation is deployed only with the monolith's secret: one to fill in, as a user would
    // (the data e2e writes the URL of its own PostgreSQL schema into it).
    process.env.CUTOVER_MONOLITH_SECRET_ARN ??= await monolithSecret(emulator.endpoint);
    // The export backfill (DataStackProps.exportBackfill) over a bucket the e2e makes, as an export would.
    if (!process.env.CUTOVER_EXPORT_BUCKET) {
      process.env.CUTOVER_EXPORT_BUCKET = await exportBucket(emulator.endpoint, emulator.port);
      process.env.CUTOVER_EXPORT_PREFIX ??= E2E_EXPORT.prefix;
      process.env.CUTOVER_EXPORT_ENTITY ??= E2E_EXPORT.entity;
    }
    const outputs = await deploy(emulator.endpoint, { stacks });
    const deploySeconds = (Date.now() - deployStarted) / 1000;
    log(`deployed ${Object.keys(outputs).length} stack(s) in ${deploySeconds.toFixed(1)} s`);
    const context: E2eContext = {
      endpoint: emulator.endpoint,
      port: emulator.port,
      region: REGION,
      startedByUs: emulator.startedByUs,
      outputs,
      deployedAt: new Date().toISOString(),
      deploySeconds,
    };
    // This run's own file (concurrent runs in one checkout each have a port), plus the well-known one.
    const runFile = writeE2eContext(context, path.join(REPO_ROOT, '.cutover', `e2e-${emulator.port}.json`));
    writeE2eContext(context);
    process.env[CONTEXT_FILE_ENV] = runFile;
  } catch (error) {
    // Jest skips the global teardown when the setup throws: do not leave an emulator behind.
    await stopEmulator(emulator as Emulator).catch(() => undefined);
    throw error;
  }
}

function log(message: string): void {
  process.stderr.write(`[e2e] ${message}\n`);
}

/** The export the e2e deploys the backfill for: the orders entity, files under one prefix. */
export const E2E_EXPORT = { prefix: 'exports/orders/', entity: 'orders' } as const;

async function exportBucket(endpoint: string, port: number): Promise<string> {
  const s3 = new S3Client({ ...sdkConfig(endpoint), forcePathStyle: true });
  const bucket = `cutover-e2e-exports-${port}`;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    // A reused emulator (CUTOVER_ENDPOINT) may have it from an earlier run.
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou' && (error as Error).name !== 'BucketAlreadyExists') throw error;
  } finally {
    s3.destroy();
  }
  return bucket;
}

async function monolithSecret(endpoint: string): Promise<string> {
  const sm = new SecretsManagerClient(sdkConfig(endpoint));
  try {
    const created = await sm.send(
      new CreateSecretCommand({
        Name: `cutover-e2e-monolith-${Date.now()}`,
        SecretString: JSON.stringify({ url: 'postgres://unset@127.0.0.1:1/none' }),
      }),
    );
    return created.ARN as string;
  } finally {
    sm.destroy();
  }
}
