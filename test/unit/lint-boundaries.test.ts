import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

/*
 * The layering arrows of design.md are enforced by eslint.config.mjs (import/no-restricted-paths). These
 * tests lint one text each through ESLint's Node API (`new ESLint().lintText(code, { filePath })`) with the
 * project's own config, as `npm run lint` would, so a rule that stopped biting (a zone dropped, a resolver
 * that no longer finds .ts files) fails here rather than silently letting an arrow turn round.
 *
 * ESLint loads its flat config with a dynamic import, which jest's VM cannot do without
 * --experimental-vm-modules; so the Node API runs in one plain node process for all cases.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const CASES = {
  cliImportsFunctions: {
    file: 'cli/x.ts',
    code: "import { requireEnv } from '../functions/shared/env';\n\nexport const x = requireEnv;\n",
  },
  coreImportsAdapters: {
    file: 'core/x.ts',
    code: "import { EventPublisher } from '../adapters/aws/event-publisher';\n\nexport const x = EventPublisher;\n",
  },
  cliImportsAdaptersAndCore: {
    file: 'cli/x.ts',
    code: "import { EventPublisher } from '../adapters/aws/event-publisher';\nimport { fmix32 } from '../core/hash/murmur3';\n\nexport const x = [EventPublisher, fmix32];\n",
  },
};
type Messages = { ruleId: string | null; message: string }[];

const SCRIPT = `
const { ESLint } = require('eslint');
const path = require('node:path');
(async () => {
  const cases = JSON.parse(process.argv[1]);
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = {};
  for (const [name, c] of Object.entries(cases)) {
    const [result] = await eslint.lintText(c.code, { filePath: path.join(process.cwd(), c.file) });
    out[name] = result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

let linted: Record<keyof typeof CASES, Messages>;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT, JSON.stringify(CASES)], { cwd: ROOT });
  linted = JSON.parse(stdout) as typeof linted;
});

describe('Config: eslint.config.mjs layering', () => {
  it('refuses a cli/ file importing functions/', () => {
    expect(linted.cliImportsFunctions).toEqual([
      expect.objectContaining({
        ruleId: 'import/no-restricted-paths',
        message: expect.stringContaining('cli/ imports adapters/ and core/, never functions/'),
      }),
    ]);
  });

  it('refuses a core/ file importing adapters/', () => {
    expect(linted.coreImportsAdapters).toEqual([
      expect.objectContaining({
        ruleId: 'import/no-restricted-paths',
        message: expect.stringContaining('core/ is pure and imports nothing of ours outside core/'),
      }),
    ]);
  });

  it('accepts a cli/ file importing adapters/ and core/', () => {
    expect(linted.cliImportsAdaptersAndCore).toEqual([]);
  });
});
