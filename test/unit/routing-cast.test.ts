import { castPayload, parseSpec, validatePayload } from '../../core/spec';
import config from '../../cutover.config';

/*
 * The router downcasts for candidates built against an older version. A downcast must produce a payload
 * of that older version: undoing a rename into a nested object must not leave the emptied object behind.
 */
const spec = parseSpec(config);
const def = spec.bridge.serviceEvents['order.created'];
const v2 = def.versions['2'].examples![0] as Record<string, unknown>;

describe('Function: castPayload (downcast for routing)', () => {
  it('turns order.created v2 into a valid v1 (no empty `amount` left behind)', () => {
    // Act
    const v1 = castPayload('order.created', def, v2, 2, 1);

    // Assess
    expect(v1.amount).toBeUndefined();
    expect(v1).toMatchObject({ total: '54.97', currency: 'EUR' });
    expect(validatePayload(def.versions['1'].schema, v1)).toEqual([]);
  });

  it('round-trips v2 -> v1 -> v2 to the same payload', () => {
    const back = castPayload('order.created', def, castPayload('order.created', def, v2, 2, 1), 1, 2);
    expect(back).toEqual(v2);
  });

  it('keeps a parent that still holds other fields', () => {
    const withExtra = { ...v2, amount: { total: '1.00', currency: 'EUR', note: 'kept' } };
    const v1 = castPayload('order.created', def, withExtra, 2, 1);
    expect(v1.amount).toEqual({ note: 'kept' });
  });
});
