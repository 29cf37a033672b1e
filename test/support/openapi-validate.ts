import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/*
 * Validates OpenAPI documents with @seriousme/openapi-schema-validator (the official OpenAPI 3.0/3.1 JSON
 * schemas). The package is ESM-only and jest runs our tests as CommonJS, so it runs in a child node.
 */
export function validateOpenApi(documents: readonly unknown[]): { valid: boolean; errors: unknown }[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'docs.json');
    writeFileSync(file, JSON.stringify(documents));
    const script = `
      import { Validator } from '@seriousme/openapi-schema-validator';
      import { readFileSync } from 'node:fs';
      const docs = JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));
      const out = [];
      for (const d of docs) { const r = await new Validator().validate(d); out.push({ valid: r.valid, errors: r.errors ?? null, version: new Validator().version }); }
      process.stdout.write(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    return JSON.parse(stdout) as { valid: boolean; errors: unknown }[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
