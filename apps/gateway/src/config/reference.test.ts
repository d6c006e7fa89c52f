import { readFileSync } from 'node:fs';
import { createTestPlugin } from '@keyless/auth-core/testing';
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

  it('names the copilot route only for a plugin that opts into it', () => {
    const headings = (copilotProviderTypes: string[]) =>
      renderConfigReference([createTestPlugin({ copilotProviderTypes })])
        .split('\n')
        .filter((line) => line.startsWith('#### Provider'));
    expect(headings([])).toEqual([
      '#### Provider `test` (routes: openai when `OPENAI_API_TARGET` is set)',
    ]);
    expect(headings(['openai'])).toEqual([
      '#### Provider `test` (routes: copilot with `COPILOT_PROVIDER_BASE_URL`, openai when `OPENAI_API_TARGET` is set)',
    ]);
  });
});
