import { readFileSync } from 'node:fs';
import { blockFor, readmeBlock, README_FILE, renderReferenceMermaid, withFreshMap } from '../../scripts/readme-map';

/* The README's architecture section embeds the map of the reference spec; this keeps it fresh. */
describe('Function: renderReferenceMermaid', () => {
  it('README.md embeds the map of the reference spec (run `npx tsx scripts/readme-map.ts`)', () => {
    // Prepare
    const readme = readFileSync(README_FILE, 'utf8');

    // Act
    const block = readmeBlock(readme);

    // Assess
    expect(block).toBeDefined();
    expect(block).toBe(blockFor(renderReferenceMermaid()));
  });

  it('replaces only the generated block, and is idempotent', () => {
    // Prepare
    const readme = readFileSync(README_FILE, 'utf8');
    const stale = withFreshMap(readme).replace('flowchart LR', 'flowchart TD');

    // Act
    const fresh = withFreshMap(stale);

    // Assess
    expect(fresh).toBe(withFreshMap(readme));
    expect(withFreshMap(fresh)).toBe(fresh);
    expect(fresh.replace(readmeBlock(fresh)!, '')).toBe(readme.replace(readmeBlock(readme)!, ''));
  });
});
