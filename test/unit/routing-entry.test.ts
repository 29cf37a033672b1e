import { RouteEntryError, parseRouteEntry } from '../../core/routing';
import { routeEntry } from './routing-fixtures';

function messageOf(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(RouteEntryError);
    return (error as Error).message;
  }
  throw new Error('expected a RouteEntryError');
}

describe('Function: parseRouteEntry', () => {
  it('accepts a valid entry and returns it unchanged', () => {
    const entry = routeEntry({ mode: 'canary', percent: 42 });
    expect(parseRouteEntry(JSON.parse(JSON.stringify(entry)))).toEqual(entry);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a percent that contradicts legacy mode', { mode: 'legacy', percent: 40 }, 'percent: must be 0 in legacy mode, got 40'],
    ['a percent that contradicts shadow mode', { mode: 'shadow', percent: 10 }, 'percent: must be 0 in shadow mode, got 10'],
    ['primary below 100', { mode: 'primary', percent: 99 }, 'percent: must be 100 in primary mode, got 99'],
    ['a canary percent above 100', { mode: 'canary', percent: 150 }, 'percent: must be 0..100, got 150'],
    ['a fractional percent', { mode: 'canary', percent: 12.5 }, 'percent: must be a whole number, got 12.5'],
    [
      'an unknown mode',
      { mode: 'beta' },
      'mode: Invalid option: expected one of "legacy"|"shadow"|"canary"|"primary"|"retired", got "beta"',
    ],
    ['an unknown health', { health: 'fine' }, 'health: Invalid option'],
    [
      'the candidate on the legacy target',
      { candidate: { version: 'v2', target: 'monolith' } },
      'candidate.target: must differ from legacy.target',
    ],
    [
      'a timestamp that is not ISO',
      { updatedAt: '21/11/2026' },
      'updatedAt: must be an ISO 8601 UTC timestamp such as 2026-11-21T14:30:00Z, got "21/11/2026"',
    ],
    ['no actor', { updatedBy: '  ' }, 'updatedBy: must name who made the change, got "  "'],
    ['a negative revision', { revision: -1 }, 'revision: Too small'],
    ['an unknown field', { colour: 'blue' }, '(entry): unknown field(s) colour'],
    ['a capability in capitals', { capability: 'Inventory' }, 'capability: must be lower case letters'],
    ['a nested unknown field', { legacy: { target: 'monolith', url: 'x' } }, 'legacy: unknown field(s) url'],
  ])('rejects %s, naming field and value', (_name, overrides, message) => {
    const base = JSON.parse(JSON.stringify(routeEntry({ mode: 'canary', percent: 30 })));
    expect(messageOf(() => parseRouteEntry({ ...base, ...overrides }))).toContain(message);
  });

  it('keeps the capability in the error context', () => {
    const base = JSON.parse(JSON.stringify(routeEntry()));
    try {
      parseRouteEntry({ ...base, revision: 'x' });
      throw new Error('expected a RouteEntryError');
    } catch (error) {
      expect((error as RouteEntryError).context).toMatchObject({ capability: 'inventory' });
      expect((error as RouteEntryError).issues).toHaveLength(1);
    }
  });

  it.each([null, 'x', 42, []])('rejects %p as a whole', (input) => {
    expect(messageOf(() => parseRouteEntry(input))).toContain('(entry)');
  });
});
