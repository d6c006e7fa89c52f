import { describe, expect, it } from 'vitest';
import { OAUTH_BETA, withBeta } from './anthropic-beta.ts';

describe('withBeta', () => {
  it('is the OAuth beta alone when the client sent none', () => {
    expect(withBeta(undefined, OAUTH_BETA)).toBe(OAUTH_BETA);
    expect(withBeta('', OAUTH_BETA)).toBe(OAUTH_BETA);
  });

  it("keeps the client's betas in order and appends the OAuth beta", () => {
    expect(withBeta('prompt-caching-2024-07-31, context-1m-2025-08-07', OAUTH_BETA)).toBe(
      `prompt-caching-2024-07-31,context-1m-2025-08-07,${OAUTH_BETA}`,
    );
  });

  it('never adds it twice', () => {
    expect(withBeta(`${OAUTH_BETA},tools-2024-04-04`, OAUTH_BETA)).toBe(
      `${OAUTH_BETA},tools-2024-04-04`,
    );
  });
});
