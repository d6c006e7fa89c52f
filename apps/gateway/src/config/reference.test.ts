import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDER_PLUGINS } from '../plugins.ts';
import { REFERENCE_END, REFERENCE_START, renderConfigReference } from './reference.ts';

describe('README configuration reference', () => {
  it('is exactly what the code reads (run `npm run docs` to regenerate)', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start, 'README lacks the reference markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + REFERENCE_END.length)).toBe(
      renderConfigReference(PROVIDER_PLUGINS),
    );
  });
});
