import { describe, expect, it } from 'vitest';
import { effectiveTokens, modelMultiplier } from './effective-tokens.ts';

const usage = {
  route: 'openai',
  inputTokens: 100,
  outputTokens: 10,
  cacheReadTokens: 1000,
  cacheWriteTokens: 50,
};

describe('effective tokens', () => {
  it('weighs input 1, cache reads 0.1, cache writes 1 and output 4', () => {
    expect(effectiveTokens(usage, 'm', { byModel: {}, fallback: 1 })).toBe(100 + 100 + 50 + 40);
  });

  it('multiplies by the exact model, the longest dash-prefix, or the default', () => {
    const multipliers = { byModel: { 'gpt-4o': 2, 'gpt-4o-mini': 0.5, claude: 3 }, fallback: 1.5 };
    expect(modelMultiplier('gpt-4o', multipliers)).toBe(2);
    expect(modelMultiplier('gpt-4o-2024-08-06', multipliers)).toBe(2);
    expect(modelMultiplier('gpt-4o-mini-2024-07-18', multipliers)).toBe(0.5);
    expect(modelMultiplier('gpt-4o1', multipliers)).toBe(1.5);
    expect(modelMultiplier('toString', multipliers)).toBe(1.5);
    expect(effectiveTokens(usage, 'claude-sonnet-4', multipliers)).toBe(3 * 290);
  });
});
