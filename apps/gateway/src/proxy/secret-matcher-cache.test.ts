import { describe, expect, it } from 'vitest';
import { SecretMatcherCache } from './secret-matcher-cache.ts';
import { maskOf } from './secret-matcher.ts';

describe('SecretMatcherCache', () => {
  it('checks and encodes a credential once, not per request', () => {
    const checked: string[] = [];
    const cache = new SecretMatcherCache((value) => (checked.push(value), value.startsWith('tok')));
    const first = cache.matcherFor(['tok/abc+def', 'not-secret']);
    expect(cache.matcherFor(['tok/abc+def', 'not-secret'])).toBe(first);
    expect(checked).toEqual(['tok/abc+def', 'not-secret']);
    const { scrubbed } = first.scan(Buffer.from('a tok/abc+def b tok%2Fabc%2Bdef c not-secret'));
    expect(scrubbed.toString()).toBe(
      `a ${maskOf('tok/abc+def')} b ${maskOf('tok%2Fabc%2Bdef')} c not-secret`,
    );
  });

  it('stays bounded as credentials rotate', () => {
    const cache = new SecretMatcherCache(() => true, 2);
    const first = cache.matcherFor(['tok-1']);
    cache.matcherFor(['tok-2']);
    cache.matcherFor(['tok-3']);
    expect(cache.matcherFor(['tok-1'])).not.toBe(first);
  });
});
