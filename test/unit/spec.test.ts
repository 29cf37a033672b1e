import { SpecError } from '../../core/errors';
import { parseSpec, type SpecInput } from '../../core/spec';
import config from '../../cutover.config';

/*
 * A spec error must name the field: each case breaks one thing in a copy of the reference spec and
 * expects parseSpec to throw a SpecError whose issues contain that field's path and the problem.
 */
type Mutable = Record<string, any>;
const translationIndex = (legacy: string) =>
  (config.bridge.translations as Array<{ legacy: string }>).findIndex((t) => t.legacy === legacy);
const placed = translationIndex('ORDER_PLACED');
const cancelled = translationIndex('ORDER_CANCELLED');

function broken(mutate: (spec: Mutable) => void): SpecInput {
  const copy = structuredClone(config) as Mutable;
  mutate(copy);
  return copy as SpecInput;
}

function issuesOf(input: SpecInput): string[] {
  try {
    parseSpec(input);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  return [];
}

describe('Function: parseSpec', () => {
  it('accepts the reference spec', () => {
    expect(issuesOf(config)).toEqual([]);
  });

  it.each<[string, (s: Mutable) => void, RegExp]>([
    [
      'a translation naming a legacy field that does not exist',
      (s) => (s.bridge.translations[placed].fields[1].legacy = 'CUSTOMER_NUMBER'),
      new RegExp(`^bridge\\.translations\\[${placed}\\]\\.fields\\[1\\]\\.legacy: "CUSTOMER_NUMBER" is not a field of the legacy schema$`),
    ],
    [
      'a translation naming a service field that does not exist',
      (s) => (s.bridge.translations[placed].fields[0].service = 'orderNumber'),
      new RegExp(`^bridge\\.translations\\[${placed}\\]\\.fields\\[0\\]\\.service: "orderNumber" is not a field of the service schema$`),
    ],
    [
      'an item mapping with an unknown field',
      (s) => (s.bridge.translations[placed].fields.find((f: Mutable) => f.items).items[1].legacy = 'SKU_CODE'),
      new RegExp(`^bridge\\.translations\\[${placed}\\]\\.fields\\[\\d+\\]\\.items\\[1\\]\\.legacy: "SKU_CODE" is not a field`),
    ],
    [
      'a translation of an undeclared legacy event',
      (s) => (s.bridge.translations[cancelled].legacy = 'ORDER_VOIDED'),
      new RegExp(`^bridge\\.translations\\[${cancelled}\\]\\.legacy: "ORDER_VOIDED" is not declared in bridge\\.legacyEvents$`),
    ],
    [
      'a translation to a version that does not exist',
      (s) => (s.bridge.translations[placed].serviceVersion = 7),
      new RegExp(`^bridge\\.translations\\[${placed}\\]\\.serviceVersion: 7 is not a version of order\\.created$`),
    ],
    [
      'an unknown transform name',
      (s) => (s.bridge.translations[placed].fields[2].transform = 'toIso'),
      new RegExp(`^bridge\\.translations\\[${placed}\\]\\.fields\\[2\\]\\.transform: `),
    ],
    [
      'a value map that cannot be reversed',
      (s) => (s.bridge.translations[cancelled].fields.find((f: Mutable) => f.transform?.map).transform.map = { CUST: 'x', FRAUD: 'x' }),
      /^bridge\.translations\[\d+\]\.fields\[\d+\]\.transform\.map: values must be distinct/,
    ],
    [
      'an example that fails its own schema',
      (s) => (s.bridge.legacyEvents.ORDER_PLACED.examples[0].TOTAL_CENTS = '54.97'),
      /^bridge\.legacyEvents\.ORDER_PLACED\.examples\[0\]\.TOTAL_CENTS: "54\.97" is not cents/,
    ],
    [
      'a legacy event without examples',
      (s) => (s.bridge.legacyEvents.STOCK_RELEASED.examples = []),
      /^bridge\.legacyEvents\.STOCK_RELEASED\.examples: give at least one valid example payload$/,
    ],
    [
      'an id field that is not in the schema',
      (s) => (s.bridge.legacyEvents.ORDER_CANCELLED.idField = 'MESSAGE_ID'),
      /^bridge\.legacyEvents\.ORDER_CANCELLED\.idField: "MESSAGE_ID" is not a field of the schema$/,
    ],
    [
      'a lower-case legacy type',
      (s) => (s.bridge.legacyEvents.order_placed = s.bridge.legacyEvents.ORDER_PLACED),
      /^bridge\.legacyEvents\.order_placed: /,
    ],
    [
      'a pattern that is not a regular expression',
      (s) => (s.bridge.legacyEvents.ORDER_PLACED.schema.fields.ORDER_NO.pattern = '^[0-9'),
      /^bridge\.legacyEvents\.ORDER_PLACED\.schema\.fields\.ORDER_NO\.pattern: is not a valid regular expression$/,
    ],
    [
      'a latest version that is not declared',
      (s) => (s.bridge.serviceEvents['order.created'].latest = 3),
      /^bridge\.serviceEvents\.order\.created\.latest: version 3 is not declared in versions$/,
    ],
    [
      'two versions without an upcast',
      (s) => delete s.bridge.serviceEvents['order.created'].upcasts,
      /^bridge\.serviceEvents\.order\.created\.upcasts: no upcast from version 1 to 2$/,
    ],
    [
      'two translations of one legacy event to services',
      (s) => s.bridge.translations.push(structuredClone(s.bridge.translations[placed])),
      /^bridge\.translations\[\d+\]\.legacy: ORDER_PLACED is already translated to services by translations\[\d+\]$/,
    ],
    ['an unknown top-level key', (s) => (s.bridgee = {}), /^\(spec\): Unrecognized key: "bridgee"$/],
  ])('refuses %s, naming the field', (_what, mutate, expected) => {
    // Act
    const issues = issuesOf(broken(mutate));

    // Assess
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((i) => expected.test(i))).toBe(true);
  });

  it('lists every problem at once, not only the first', () => {
    // Prepare
    const input = broken((s) => {
      s.bridge.translations[placed].fields[1].legacy = 'NOPE_ONE';
      s.bridge.translations[cancelled].fields[0].legacy = 'NOPE_TWO';
    });

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues.filter((i) => /NOPE_ONE|NOPE_TWO/.test(i))).toHaveLength(2);
  });

  it('throws a SpecError whose message carries every issue (what cdk synth prints)', () => {
    const input = broken((s) => (s.bridge.translations[placed].fields[1].legacy = 'CUSTOMER_NUMBER'));
    expect(() => parseSpec(input)).toThrow(SpecError);
    expect(() => parseSpec(input)).toThrow(/invalid migration spec:\n {2}- .*CUSTOMER_NUMBER/);
  });
});
