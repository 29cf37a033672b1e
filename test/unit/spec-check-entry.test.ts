import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/*
 * `cutover spec check` through the real CLI entry (bin/cutover.ts) in its own process, where nothing but the
 * CLI is loaded: the saga section's cross-checks used to run only when some module imported core/saga, so a
 * broken saga section passed here while it failed in the tests that happened to import it.
 */
const root = path.resolve(__dirname, '../..');

function specCheck(configSource: string): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-spec-check-'));
  const file = path.join(dir, 'cutover.config.ts');
  fs.writeFileSync(file, configSource);
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'bin/cutover.ts'), 'spec', 'check', '--config', file],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CUTOVER_CLI_MAIN: '1' },
        timeout: 60_000,
      },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const reference = JSON.stringify(path.join(root, 'cutover.config'));

describe('Command: cutover spec check (bin/cutover.ts)', () => {
  it('fails on a broken saga section, naming the field', () => {
    // Prepare: the reference spec with a saga order event that the bridge does not declare.
    const source = `import base from ${reference};\nexport default { ...base, saga: { ...base.saga, orderEvent: 'order.vanished' } };\n`;

    // Act
    const r = specCheck(source);

    // Assess
    expect(r.status).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(/saga\.orderEvent: "order\.vanished" is not declared in bridge\.serviceEvents/);
  });

  it('passes the reference spec', () => {
    const r = specCheck(`import base from ${reference};\nexport default base;\n`);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/saga\./);
    expect(r.status).toBe(0);
  });
});
