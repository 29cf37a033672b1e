import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/*
 * localstack/ministack-fifo-dedup-fix.py (start.sh --fifo-dedup-fix, benchmarks only) replaces MiniStack's
 * FIFO dedup pruning. Its self-test prunes random caches with the replacement and with the original rule
 * and fails on any difference; it runs without MiniStack installed.
 */
const script = path.join(__dirname, '..', '..', 'localstack', 'ministack-fifo-dedup-fix.py');

test('the FIFO dedup fix keeps exactly the live dedup ids, in order, as the original pruning does', () => {
  const run = spawnSync('python3', [script, '--self-test'], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/500 random caches pruned exactly as the original rule prunes them/);
});
