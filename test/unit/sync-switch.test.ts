import { syncRunState } from '../../core/sync/switch';

describe('Function: syncRunState', () => {
  it.each([
    ['everything on', 'ENABLED', ['Enabled', 'Enabled'], 'running'],
    ['everything off (as deployed)', 'DISABLED', ['Disabled', 'Disabled'], 'stopped'],
    ['a mapping on its way on', 'ENABLED', ['Enabled', 'Enabling'], 'changing'],
    ['a mapping on its way off', 'DISABLED', ['Disabling', 'Disabled'], 'changing'],
    ['the relay on, a stream off (an interrupted start)', 'ENABLED', ['Enabled', 'Disabled'], 'partial'],
    ['the relay off, the streams on (an interrupted stop)', 'DISABLED', ['Enabled'], 'partial'],
  ])('%s', (_name, rule, mappings, want) => {
    // Act / Assess
    expect(syncRunState({ rule, mappings })).toBe(want);
  });
});
