import { ConfigurationError, CutoverError } from '../../core/errors';
import { parseFaultPlan } from '../../core/saga/faults';
import { parseReferenceRules } from '../../core/saga/reference';
import { requireEnv } from '../../functions/shared/env';
import { loadSpec, resetSpecCache } from '../../functions/shared/spec';

describe('Class: ConfigurationError', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetSpecCache();
  });

  it.each([
    ['a missing environment variable', () => requireEnv('SOURCE_URL'), 'SOURCE_URL', /SOURCE_URL is not set/],
    ['a fault plan that is not JSON', () => parseFaultPlan('{nope'), 'CUTOVER_FAULTS', /CUTOVER_FAULTS is not JSON/],
    [
      'a fault plan of the wrong shape',
      () => parseFaultPlan('{"ReserveInventory": 7}'),
      'CUTOVER_FAULTS',
      /CUTOVER_FAULTS: ReserveInventory/,
    ],
    ['reference rules that are not JSON', () => parseReferenceRules('['), 'REFERENCE_RULES', /REFERENCE_RULES is not JSON/],
    [
      'a handler started without its spec',
      () => (delete process.env.CUTOVER_SPEC_JSON, loadSpec()),
      'CUTOVER_SPEC_JSON',
      /CUTOVER_SPEC_JSON is not set/,
    ],
  ])('is thrown for %s, naming the setting', (_what, act, setting, message) => {
    // Prepare
    delete process.env.SOURCE_URL;

    // Act
    let caught: unknown;
    try {
      act();
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect(caught).toBeInstanceOf(CutoverError);
    const err = caught as ConfigurationError;
    expect(err.name).toBe('ConfigurationError');
    expect(err.context).toEqual({ setting });
    expect(err.message).toMatch(message);
  });

  it('keeps the parse error as its cause', () => {
    // Act
    let caught: unknown;
    try {
      parseReferenceRules('{"a":');
    } catch (err) {
      caught = err;
    }

    // Assess
    expect((caught as Error).cause).toBeInstanceOf(SyntaxError);
  });
});
