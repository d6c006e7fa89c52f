import { describe, expect, it } from 'vitest';
import { modelRefusal } from './model-access.ts';
import { compareByVersion } from './model-version.ts';

describe('modelRefusal', () => {
  it('lets everything through without lists', () => {
    expect(modelRefusal('claude-opus-4', 'anthropic', {})).toBeUndefined();
  });

  it('refuses a denylist match first, naming the pattern, case-insensitively', () => {
    const lists = { allowed: ['claude-*'], disallowed: ['*opus*'] };
    expect(modelRefusal('Claude-Opus-4.5', 'anthropic', lists)).toEqual({
      reason: 'disallowed',
      pattern: '*opus*',
    });
    expect(modelRefusal('claude-sonnet-4.5', 'anthropic', lists)).toBeUndefined();
    expect(modelRefusal('gpt-4o', 'anthropic', lists)).toEqual({ reason: 'not_allowed' });
  });

  it('matches provider-qualified patterns on their route only', () => {
    const lists = { disallowed: ['copilot/gpt-5*'] };
    expect(modelRefusal('gpt-5.1', 'copilot', lists)?.reason).toBe('disallowed');
    expect(modelRefusal('copilot/gpt-5.1', 'copilot', lists)?.reason).toBe('disallowed');
    expect(modelRefusal('gpt-5.1', 'openai', lists)).toBeUndefined();
  });

  it('strips a redundant route prefix before matching a plain pattern', () => {
    expect(
      modelRefusal('copilot/claude-opus-4', 'copilot', { disallowed: ['claude-opus*'] })?.reason,
    ).toBe('disallowed');
  });

  it('refuses auto under a denylist unless auto is allowed', () => {
    expect(modelRefusal('auto', 'copilot', { disallowed: ['*opus*'] })).toEqual({
      reason: 'dynamic_model_unverifiable',
    });
    expect(
      modelRefusal('auto', 'copilot', { allowed: ['auto'], disallowed: ['*opus*'] }),
    ).toBeUndefined();
    expect(modelRefusal('auto', 'copilot', { allowed: ['auto'] })).toBeUndefined();
  });
});

describe('compareByVersion', () => {
  it('puts the highest version first, then sorts by name', () => {
    expect(
      ['claude-sonnet-4.5', 'claude-sonnet-4.10', 'claude-sonnet-4'].sort(compareByVersion),
    ).toEqual(['claude-sonnet-4.10', 'claude-sonnet-4.5', 'claude-sonnet-4']);
    expect(['b-model', 'a-model'].sort(compareByVersion)).toEqual(['a-model', 'b-model']);
  });
});
