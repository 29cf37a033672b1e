import { compareItems, makeDigester, verifyRulesOf } from '../../core/migration';
import { SYNC_BOOKKEEPING_ATTRIBUTES } from '../../core/sync/bookkeeping';
import { SYNC_DELETING_ATTR, SYNC_ORIGIN_ATTR, SYNC_POSITION_ATTR, SYNC_VERSION_ATTR } from '../../adapters/dynamodb/sync-item-applier';

/*
 * An item the two-way sync wrote carries its bookkeeping attributes beside the migrated data: verify and
 * continuous validation must read it as the same item as the mapped row, or `cutover verify` after sync
 * would call every synced item different.
 */
describe('Function: verifyRulesOf', () => {
  const row = { sku: { S: 'A' }, warehouse: { S: 'W1' }, onHand: { N: '7' } };
  const synced = { ...row, _syncVersion: { N: '4' }, _syncMonolithPos: { N: '16' }, _syncOrigin: { S: 'sync' } };

  it('leaves the sync bookkeeping out of the comparison and the digest, and keeps the spec rules', () => {
    // Act
    const rules = verifyRulesOf({ ignore: ['note'], numericTolerance: 0.01 });

    // Assess
    expect(rules).toEqual({ ignore: ['note', ...SYNC_BOOKKEEPING_ATTRIBUTES], numericTolerance: 0.01 });
    expect(compareItems(row, synced, rules)).toEqual([]);
    expect(makeDigester(rules)(synced)).toEqual(makeDigester(rules)(row));
  });

  it('still reports a real difference on a synced item', () => {
    // Act
    const diffs = compareItems(row, { ...synced, onHand: { N: '8' } }, verifyRulesOf(undefined));

    // Assess
    expect(diffs.map((d) => d.path)).toEqual(['onHand']);
  });

  it('names exactly the attributes the item applier writes', () => {
    expect([...SYNC_BOOKKEEPING_ATTRIBUTES].sort()).toEqual(
      [SYNC_VERSION_ATTR, SYNC_POSITION_ATTR, SYNC_ORIGIN_ATTR, SYNC_DELETING_ATTR].sort(),
    );
  });
});
