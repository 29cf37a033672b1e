/**
 * The e2e tier's floor: the emulator the global setup used is alive, and the deploy produced real stack
 * outputs. Fails when cdk deploy wrote no outputs, so a silently empty deployment cannot pass the tier.
 */
import { WaitTimeoutError, isHealthy, loadE2eContext, stackOutput, waitFor, type E2eContext } from './harness';
import type { OutputKey } from '../../core/contract';

describe('e2e harness', () => {
  let context: E2eContext;

  beforeAll(() => {
    context = loadE2eContext();
  });

  it('reaches a healthy emulator at the recorded endpoint', async () => {
    // Act
    const healthy = await isHealthy(context.endpoint);

    // Assess
    expect(context.endpoint).toMatch(/^https?:\/\/[^/]+:\d+$/);
    expect(healthy).toBe(true);
  });

  it('has at least one deployed stack, each with at least one output', () => {
    // Assess
    const stacks = Object.entries(context.outputs);
    expect(stacks.length).toBeGreaterThan(0);
    for (const [stack, outputs] of stacks) {
      expect({ stack, keys: Object.keys(outputs).length > 0 }).toEqual({ stack, keys: true });
    }
  });

  it('has no empty output value', () => {
    // Prepare
    const all = Object.entries(context.outputs).flatMap(([stack, outputs]) =>
      Object.entries(outputs).map(([key, value]) => ({ stack, key, value })),
    );

    // Assess
    expect(all.length).toBeGreaterThan(0);
    const empty = all.filter(({ value }) => value.trim() === '');
    expect(empty).toEqual([]);
    // Every output is reachable by key through the helper the tests use.
    // (every key the stacks wrote, whether or not something reads it: hence the cast)
    for (const { stack, key, value } of all) expect(stackOutput(context, key as OutputKey, stack)).toBe(value);
  });
});

describe('Function: waitFor', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    // Prepare
    let calls = 0;
    const probe = async (): Promise<number | undefined> => (++calls >= 3 ? calls : undefined);

    // Act
    const value = await waitFor(probe, { what: 'the third call', timeoutMs: 2_000, intervalMs: 10 });

    // Assess
    expect(value).toBe(3);
    expect(calls).toBe(3);
  });

  it('keeps polling through errors and names what it waited for on timeout', async () => {
    // Prepare
    const probe = async (): Promise<string> => {
      throw new Error('ResourceNotFoundException: no such table');
    };

    // Act
    const outcome = waitFor(probe, { what: 'the audit table to exist', timeoutMs: 120, intervalMs: 20 });

    // Assess
    await expect(outcome).rejects.toThrow(/waiting for the audit table to exist; last error: Error: ResourceNotFoundException/);
    await expect(outcome).rejects.toBeInstanceOf(WaitTimeoutError);
  });
});
