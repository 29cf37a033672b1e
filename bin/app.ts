#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import * as path from 'node:path';
import { SpecError } from '../core/errors';
import { parseSpec } from '../core/spec';
import { buildCutoverApp } from '../lib/app';

/*
 * The CDK app. The spec comes from cutover.config.ts (or the module named by CUTOVER_CONFIG); a spec
 * error stops synth with every problem named by its field path.
 */
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
    // Continuous validation's source (postgres:// or mysql://); on AWS prefer a secret, see DataStackProps.sourceUrl.
    monolithUrl: process.env.CUTOVER_MONOLITH_URL,
    // `-c savedQueries=false` only for a target without AWS::Logs::QueryDefinition (localstack/deploy.sh).
    savedQueries: app.node.tryGetContext('savedQueries') !== 'false' && app.node.tryGetContext('savedQueries') !== false,
    // Off by default: `cutover sync start` after capture is installed and the source secret filled.
    syncEnabled: app.node.tryGetContext('syncEnabled') === true || app.node.tryGetContext('syncEnabled') === 'true' || process.env.CUTOVER_SYNC_ENABLED === 'true',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
  });
  app.synth();
}

void main();
