import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV, type EnvName } from '../../core/contract';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { CutoverFunction, FUNCTIONS_ROOT } from '../../lib/constructs/cutover-function';

/*
 * The environment contract between lib/ and the handlers: every variable a handler requires (`requireEnv`)
 * is set by lib/ on each function built from that handler's folder, in the whole reference app (every
 * stack, the façade and the monolith URL included, so optional pieces are built too). The names are typed
 * (core/contract.ts), so a misspelt name already fails the typecheck; what this checks is that the one
 * named is actually set on that function.
 */

/** Names a handler's folder requires: `requireEnv('X')` or `requireEnv(ENV.x)` in any of its source files. */
function requiredBy(functionDir: string): string[] {
  const dir = path.join(FUNCTIONS_ROOT, functionDir);
  const names = new Set<string>();
  for (const file of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts')) continue;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/requireEnv\(\s*'([A-Z0-9_]+)'\s*\)/g)) names.add(m[1]);
    for (const m of text.matchAll(/requireEnv\(\s*ENV\.(\w+)\s*\)/g)) names.add(ENV[m[1] as keyof typeof ENV]);
  }
  return [...names].sort();
}

/** The variables set on a function, as synthesized (after every addEnvironment). */
function environmentOf(fn: CutoverFunction): string[] {
  const cfn = fn.node.defaultChild as CfnResource;
  const props = Stack.of(fn).resolve((cfn as unknown as { environment?: unknown }).environment) as { variables?: Record<string, unknown> };
  return Object.keys(props?.variables ?? {}).sort();
}

let functions: CutoverFunction[];

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildCutoverApp(app, {
    spec: parseSpec(config),
    prefix: 'Test',
    nag: false,
    monolithSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:monolith-AbCdEf',
    exportBackfill: { bucketName: 'shop-exports', prefix: 'exports/orders/', entity: 'orders' },
    facade: { monolithHttpUrl: 'http://monolith.example', candidateUrls: { customers: 'http://customers.example' } },
  });
  functions = app.node.findAll().filter((c): c is CutoverFunction => c instanceof CutoverFunction);
});

describe('Contract: function environment', () => {
  it('builds a function from every handler folder', () => {
    const built = new Set(functions.map((f) => f.functionDir));
    const folders = fs
      .readdirSync(FUNCTIONS_ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(FUNCTIONS_ROOT, d.name, 'handler.ts')))
      .map((d) => d.name);
    expect(folders.filter((f) => !built.has(f))).toEqual([]);
  });

  it('sets on every function each variable its handler requires', () => {
    const missing = functions.flatMap((fn) => {
      const set = new Set(environmentOf(fn));
      return requiredBy(fn.functionDir)
        .filter((name) => !set.has(name))
        .map((name) => `${fn.node.path} (functions/${fn.functionDir}) does not set ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it('sets only names of the contract', () => {
    const known = new Set<string>(Object.values(ENV));
    const unknown = functions.flatMap((fn) =>
      environmentOf(fn)
        .filter((name) => !known.has(name as EnvName))
        .map((n) => `${fn.node.path}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it('finds what handlers require (the scan is not empty)', () => {
    expect(requiredBy('router')).toEqual(expect.arrayContaining([ENV.routingTableName, ENV.auditTableName]));
  });
});
