import { describe, expect, it } from 'vitest';
import { SecretMatcherCache } from './secret-matcher-cache.ts';
import { maskOf } from './secret-matcher.ts';

/** Secrets are the words starting with `tok`; records every value searched. */
function secretsInWords(searched: string[]) {
  return (value: string) => {
    searched.push(value);
    return value.split(/[ ,=]/).filter((word) => word.startsWith('tok'));
  };
}

describe('SecretMatcherCache', () => {
  it('searches and encodes a credential once, not per request', () => {
    const searched: string[] = [];
    const cache = new SecretMatcherCache(secretsInWords(searched));
    const first = cache.matcherFor(['tok/abc+def', 'not-secret']);
    expect(cache.matcherFor(['tok/abc+def', 'not-secret'])).toBe(first);
    expect(searched).toEqual(['tok/abc+def', 'not-secret']);
    const { scrubbed } = first.scan(
      Buffer.from('a tok/abc+def b tok%2Fabc%2Bdef c not-secret'),
      undefined,
      true,
    );
    expect(scrubbed.toString()).toBe(
      `a ${maskOf('tok/abc+def')} b ${maskOf('tok%2Fabc%2Bdef')} c not-secret`,
    );
  });

  it('shares one matcher across signatures that carry the same secrets, and scrubs only those', () => {
    const cache = new SecretMatcherCache(secretsInWords([]));
    const signed = (signature: string) => [`SIG Credential=tok-key, Signature=${signature}`];
    const first = cache.matcherFor(signed('aaaa'));
    expect(cache.matcherFor(signed('bbbb'))).toBe(first);
    const { scrubbed } = first.scan(
      Buffer.from('echo: Credential=tok-key, Signature=aaaa'),
      undefined,
      true,
    );
    expect(scrubbed.toString()).toBe(`echo: Credential=${maskOf('tok-key')}, Signature=aaaa`);
  });

  it('stays bounded as credentials rotate', () => {
    const cache = new SecretMatcherCache(secretsInWords([]), 2);
    const first = cache.matcherFor(['tok-1']);
    cache.matcherFor(['tok-2']);
    cache.matcherFor(['tok-3']);
    expect(cache.matcherFor(['tok-1'])).not.toBe(first);
  });
});
