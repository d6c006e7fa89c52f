import { describe, expect, it } from 'vitest';
import { findLeaksInAnyForm } from './canary.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6bWFpbiJ9.c2lnbmF0dXJlLW9mLXRoZS1naXRodWItdG9rZW4';
const KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('findLeaksInAnyForm', () => {
  it.each([
    ['raw', JWT],
    ['dots as %2E', JWT.replaceAll('.', '%2E')],
    ['dots as \\u002e', JWT.replaceAll('.', '\\u002e')],
    ['the signature alone', JWT.split('.')[2] ?? ''],
    ['a 16-character piece', JWT.slice(40, 56)],
    ['lower-case URL encoding', encodeURIComponent(KEY).toLowerCase()],
    ['form encoding', new URLSearchParams({ k: KEY }).toString()],
    ['HTML entities', KEY.replaceAll('/', '&#47;')],
    ['base64 in Basic credentials', Buffer.from(`user:${KEY}`).toString('base64')],
  ])('finds a secret written %s', (_name, text) => {
    expect(findLeaksInAnyForm({ log: `x ${text} y` }, [JWT, KEY])).not.toEqual([]);
  });

  it('passes text with no piece of a secret, and never prints the secret', () => {
    expect(findLeaksInAnyForm({ log: `token [REDACTED] ${JWT.slice(0, 15)}` }, [JWT, KEY])).toEqual(
      [],
    );
    const leaks = findLeaksInAnyForm({ log: JWT }, [JWT]);
    expect(leaks.join(' ')).not.toContain(JWT.slice(0, 16));
  });
});
