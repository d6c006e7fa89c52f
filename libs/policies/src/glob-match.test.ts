import { describe, expect, it } from 'vitest';
import { globMatch, isConcrete } from './glob-match.ts';

describe('globMatch', () => {
  it.each([
    ['*opus*', 'claude-opus-4.5', true],
    ['claude-*', 'Claude-Sonnet-4.6', true],
    ['gpt-5*', 'gpt-5.1-codex', true],
    ['gpt-5*', 'gpt-4o', false],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4.1', 'gpt-401', false],
    ['o?', 'o1', false],
    ['o?', 'o?', true],
    ['copilot/*sonnet*', 'copilot/claude-sonnet-4', true],
  ])('%s ~ %s: %s', (pattern, value, matches) => {
    expect(globMatch(pattern, value)).toBe(matches);
  });

  it('tells concrete names from patterns', () => {
    expect(isConcrete('claude-sonnet-4.5')).toBe(true);
    expect(isConcrete('*sonnet*')).toBe(false);
  });
});
