import { describe, expect, it } from 'vitest';
import { maskOf, SecretMatcher } from './secret-matcher.ts';

describe('SecretMatcher', () => {
  it('replaces every occurrence with a mask of the same length, longest form first', () => {
    const matcher = new SecretMatcher(['tok/abc', 'tok%2Fabc']);
    const window = Buffer.from('a tok/abc b tok%2Fabc c tok/abc');
    const { scrubbed, matched, hold } = matcher.scan(window);
    expect(matched).toBe(true);
    expect(scrubbed.toString()).toBe(
      `a ${maskOf('tok/abc')} b ${maskOf('tok%2Fabc')} c ${maskOf('tok/abc')}`,
    );
    expect(scrubbed).toHaveLength(window.length);
    // The caller's buffer is not written to.
    expect(window.toString()).toBe('a tok/abc b tok%2Fabc c tok/abc');
    expect(hold).toBe(0);
  });

  it('masks whole texts (header values) the same way, and returns an untouched text as is', () => {
    const matcher = new SecretMatcher(['tok/abc', 'tok%2Fabc']);
    expect(matcher.scrubText('Bearer tok/abc; seen=tok%2Fabc')).toBe(
      `Bearer ${maskOf('tok/abc')}; seen=${maskOf('tok%2Fabc')}`,
    );
    const clean = 'application/json';
    expect(matcher.scrubText(clean)).toBe(clean);
  });

  it('masks keep the marker when they can and never reveal a byte of the secret', () => {
    expect(maskOf('sk-0123456789abcdef').toString()).toBe('[REDACTED]*********');
    expect(maskOf('short').toString()).toBe('[REDA');
  });

  it('returns the same bytes and holds a trailing prefix when nothing matched yet', () => {
    const window = Buffer.from('data: tok/');
    const { scrubbed, matched, hold } = new SecretMatcher(['tok/abc']).scan(window);
    expect(matched).toBe(false);
    expect(scrubbed).toBe(window);
    expect(hold).toBe(4);
  });
});
