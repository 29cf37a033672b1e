import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson, hashEntry, verifyChain, type AuditEntry } from '../../core/audit';

/**
 * A chain written by the audit log before its canonical JSON became the `canonicalize` package (RFC 8785):
 * unicode, escapes, U+2028, nested extra fields in mixed key order, large and fractional numbers. Every hash
 * in it must still verify, and every entry must still spell the same.
 */
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/audit-chain-v1.json'), 'utf8')) as {
  canonical: string[];
  entries: AuditEntry[];
};

describe('Fixture: audit chain v1', () => {
  it('verifies whole with the current hash', () => {
    // Act
    const result = verifyChain(fixture.entries);

    // Assess
    expect(result).toMatchObject({ ok: true, entries: fixture.entries.length });
  });

  it.each(fixture.entries.map((e, i) => [e.sequence, i] as const))('spells entry %i as it did and hashes it the same', (_sequence, i) => {
    // Act
    const entry = fixture.entries[i];

    // Assess
    expect(canonicalJson(entry)).toBe(fixture.canonical[i]);
    expect(hashEntry(entry)).toBe(entry.hash);
  });

  it('detects a change to one byte of a payload', () => {
    // Prepare
    const tampered = fixture.entries.map((e, i) => (i === 1 ? { ...e, payload: e.payload.replace('schema', 'schemA') } : e));

    // Act
    const result = verifyChain(tampered);

    // Assess
    expect(result).toMatchObject({ ok: false, sequence: 2, check: 'hash' });
  });
});
