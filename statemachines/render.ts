/*
 * Writes statemachines/order-saga.asl.json: the order saga's definition for the reference spec, as the CDK
 * app deploys it (placeholders such as ${InventoryFunctionArn} are filled by CloudFormation's definition
 * substitutions). The file is for reading and review; test/unit/saga-asl.test.ts fails when it is stale.
 *
 *   npx tsx statemachines/render.ts
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSagaDefinition, buildSagaPlan } from '../core/saga';
import { parseSpec } from '../core/spec';
import config from '../cutover.config';

export const ASL_FILE = path.join(__dirname, 'order-saga.asl.json');

export function renderReferenceDefinition(): string {
  return `${JSON.stringify(buildSagaDefinition(buildSagaPlan(parseSpec(config).saga!)), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(ASL_FILE, renderReferenceDefinition());
  console.log(`wrote ${path.relative(process.cwd(), ASL_FILE)}`);
}
