#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, SpecError } from '../core/errors';
import { parseFaultPlan, resolveFaultPlan, type FaultPlan } from '../core/saga/faults';
import { parseSpec } from '../core/spec';
import { buildCutoverApp } from '../lib/app';

/*
 * The CDK app. The spec comes from cutover.config.ts (or the module named by CUTOVER_CONFIG); a spec
 * error stops synth with every problem named by its field path.
 */
/** CUTOVER_FACADE_CANDIDATE_URLS: `customers=https://customers.internal,catalog=https://...`. */
function candidateUrls(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 1) {
      console.error(`cutover: CUTOVER_FACADE_CANDIDATE_URLS: ${JSON.stringify(pair)} is not capability=url`);
      process.exit(1);
    }
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * CUTOVER_EXPORT_BUCKET, CUTOVER_EXPORT_PREFIX and CUTOVER_EXPORT_ENTITY: the S3 export backfill
 * (DataStackProps.exportBackfill). All three or none: one alone would deploy a map over the wrong files.
 */
function exportBackfill(env: NodeJS.ProcessEnv): { bucketName: string; prefix: string; entity: string } | undefined {
  const given = { bucketName: env.CUTOVER_EXPORT_BUCKET, prefix: env.CUTOVER_EXPORT_PREFIX, entity: env.CUTOVER_EXPORT_ENTITY };
  const names = { bucketName: 'CUTOVER_EXPORT_BUCKET', prefix: 'CUTOVER_EXPORT_PREFIX', entity: 'CUTOVER_EXPORT_ENTITY' } as const;
  const missing = (Object.keys(names) as Array<keyof typeof names>).filter((k) => !given[k]).map((k) => names[k]);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    const set = Object.values(names).filter((n) => !missing.includes(n));
    console.error(
      `cutover: ${set.join(', ')} set without ${missing.join(', ')}: the export backfill needs the bucket, the prefix and the entity`,
    );
    process.exit(1);
  }
  return given as { bucketName: string; prefix: string; entity: string };
}

/** `-c faults=profile.json`: a fault profile for the reference services, validated here so synth stops on a typo. */
function faultProfile(file: unknown): FaultPlan | undefined {
  if (file === undefined || file === '') return undefined;
  const where = path.resolve(String(file));
  let text: string;
  try {
    text = fs.readFileSync(where, 'utf8');
  } catch (err) {
    console.error(`cutover: -c faults=${String(file)}: cannot read ${where}: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    return resolveFaultPlan(parseFaultPlan(text, `faults profile ${where}`), new Date());
  } catch (err) {
    if (err instanceof ConfigurationError) {
      console.error(`cutover: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const app = new App();
  const configPath = path.resolve(process.env.CUTOVER_CONFIG ?? path.join(__dirname, '..', 'cutover.config.ts'));
  const mod = (await import(configPath)) as { default?: unknown };
  let spec;
  try {
    spec = parseSpec(mod.default ?? mod);
  } catch (err) {
    if (err instanceof SpecError) {
      console.error(`cutover: ${configPath}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const prefix = (app.node.tryGetContext('prefix') as string | undefined) ?? process.env.CUTOVER_PREFIX ?? 'Cutover';
  buildCutoverApp(app, {
    spec,
    prefix,
    // The secret with the monolith's database URL: continuous validation is deployed only with it.
    monolithSecretArn: process.env.CUTOVER_MONOLITH_SECRET_ARN,
    // The Distributed Map backfill from an S3 export, only when the export is named (README "Backfill from an S3 export").
    exportBackfill: exportBackfill(process.env),
    // `-c savedQueries=false` only for a target without AWS::Logs::QueryDefinition (localstack/deploy.sh).
    savedQueries: app.node.tryGetContext('savedQueries') !== 'false' && app.node.tryGetContext('savedQueries') !== false,
    // `-c referenceConsumers=false` where the inboxes are read from outside (localstack/deploy.sh: the e2e suites and the demo).
    referenceConsumers: app.node.tryGetContext('referenceConsumers') !== 'false' && app.node.tryGetContext('referenceConsumers') !== false,
    // Off by default: `cutover sync start` after capture is installed and the source secret filled.
    syncEnabled:
      app.node.tryGetContext('syncEnabled') === true ||
      app.node.tryGetContext('syncEnabled') === 'true' ||
      process.env.CUTOVER_SYNC_ENABLED === 'true',
    // The HTTP façade is deployed only when the monolith's HTTP API is named (README "HTTP strangler façade").
    facade: process.env.CUTOVER_FACADE_MONOLITH_URL
      ? {
          monolithHttpUrl: process.env.CUTOVER_FACADE_MONOLITH_URL,
          candidateUrls: candidateUrls(process.env.CUTOVER_FACADE_CANDIDATE_URLS),
        }
      : undefined,
    faults: faultProfile(app.node.tryGetContext('faults')),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
  });
  app.synth();
}

void main();
