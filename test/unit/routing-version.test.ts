import { castEdgesFor, negotiateVersion } from '../../core/routing';
import type { CastEdge } from '../../core/routing';
import { castPayload } from '../../core/spec';
import type { ServiceEventDef } from '../../core/spec';
import config from '../../cutover.config';

const chain: CastEdge[] = [
  { from: 1, to: 2 },
  { from: 2, to: 1 },
  { from: 2, to: 3 },
  { from: 3, to: 2 },
  { from: 3, to: 4 }, // 4 -> 3 is lossy: no way down
];

describe('Function: negotiateVersion', () => {
  it.each<[string, number, number[], CastEdge[], unknown]>([
    ['delivers an accepted version as is', 2, [1, 2], chain, { action: 'deliver', version: 2 }],
    ['upcasts one step', 1, [2], chain, { action: 'cast', from: 1, to: 2, path: [1, 2] }],
    ['downcasts one step', 3, [2], chain, { action: 'cast', from: 3, to: 2, path: [3, 2] }],
    ['casts through a chain', 1, [4], chain, { action: 'cast', from: 1, to: 4, path: [1, 2, 3, 4] }],
    ['prefers the nearest accepted version', 3, [1, 2], chain, { action: 'cast', from: 3, to: 2, path: [3, 2] }],
    ['breaks a tie towards the higher version', 2, [1, 3], chain, { action: 'cast', from: 2, to: 3, path: [2, 3] }],
  ])('%s', (_name, version, accepted, casts, expected) => {
    expect(negotiateVersion(version, accepted, casts)).toEqual(expected);
  });

  it.each<[string, number, number[], CastEdge[], string]>([
    [
      'no cast leads down from a lossy step',
      4,
      [1, 2],
      chain,
      'order.created v4: inventory-v1 accepts v1, v2 and no cast leads from v4 to any of them',
    ],
    ['no casts at all', 2, [1], [], 'inventory-v1 accepts v1 and no cast leads from v2'],
    ['an unknown version with no casts', 9, [1, 2], chain, 'order.created v9'],
    ['the target accepts nothing', 1, [], chain, 'inventory-v1 accepts no version of it'],
    ['a version that is not a whole number', 1.5, [1], chain, 'version must be a whole number >= 1, got 1.5'],
    ['version 0', 0, [1], chain, 'got 0'],
  ])('quarantines when %s, saying why', (_name, version, accepted, casts, reason) => {
    const d = negotiateVersion(version, accepted, casts, { eventType: 'order.created', target: 'inventory-v1' });
    expect(d.action).toBe('quarantine');
    expect(d).toHaveProperty('reason', expect.stringContaining(reason));
  });

  it('does not loop on cyclic casts', () => {
    const cyclic: CastEdge[] = [
      { from: 1, to: 2 },
      { from: 2, to: 1 },
    ];
    expect(negotiateVersion(1, [5], cyclic).action).toBe('quarantine');
  });
});

describe('Function: castEdgesFor', () => {
  const orderCreated = config.bridge.serviceEvents['order.created'] as unknown as ServiceEventDef;

  it('offers both directions for a reversible upcast (renames)', () => {
    expect(castEdgesFor(orderCreated)).toEqual([
      { from: 1, to: 2 },
      { from: 2, to: 1 },
    ]);
  });

  it('offers only the upcast when the step drops information', () => {
    const lossy = {
      ...orderCreated,
      upcasts: [{ from: 1, ops: [{ op: 'remove', path: 'couponCode' }] }],
    } as unknown as ServiceEventDef;
    expect(castEdgesFor(lossy)).toEqual([{ from: 1, to: 2 }]);
  });

  it('proposes only casts the spec core can perform', () => {
    // Prepare
    const example = orderCreated.versions['2'].examples[0];
    const decision = negotiateVersion(2, [1], castEdgesFor(orderCreated));
    // Act
    if (decision.action !== 'cast') throw new Error(`expected a cast, got ${decision.action}`);
    const cast = castPayload('order.created', orderCreated, example, decision.from, decision.to);
    // Assess
    expect(cast).toMatchObject({ total: '54.97', currency: 'EUR' });
    expect(cast).not.toHaveProperty('amount.total');
  });
});
