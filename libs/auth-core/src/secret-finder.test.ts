import { describe, expect, it } from 'vitest';
import { MIN_PARTIAL_LEAK, SecretFinder } from './secret-finder.ts';

const KEY = 'sk-proj-Ab+9/Zx7Qw3Er5Ty1Ui8Op0=';

/** The text with what `finder` finds replaced by `#`. */
function masked(finder: SecretFinder, text: string): string {
  let out = text;
  for (const [start, end] of finder.find(text))
    out = out.slice(0, start) + '#'.repeat(end - start) + out.slice(end);
  return out;
}

describe('SecretFinder', () => {
  const finder = new SecretFinder([KEY]);

  it.each([
    ['raw', KEY],
    [
      'upper-case URL encoding',
      encodeURIComponent(KEY).toUpperCase().replaceAll('SK-PROJ', 'sk-proj'),
    ],
    [
      'lower-case URL encoding',
      encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    ],
    ['form encoding', new URLSearchParams({ v: KEY }).toString().slice(2)],
    ['JSON escapes', JSON.stringify(KEY).slice(1, -1).replaceAll('/', '\\/')],
    ['HTML entities', KEY.replace(/[^A-Za-z0-9]/g, (c) => `&#${c.charCodeAt(0)};`)],
    ['a half', KEY.slice(KEY.length - 20)],
  ])('finds the %s form', (_name, spelling) => {
    expect(masked(finder, `<${spelling}>`)).toBe(`<${'#'.repeat(spelling.length)}>`);
  });

  it('finds base64 at each alignment, a Basic credential included', () => {
    for (const prefix of ['', 'u:', 'us:', 'use:']) {
      const encoded = Buffer.from(`${prefix}${KEY}`).toString('base64');
      expect(masked(finder, `Basic ${encoded}`), prefix).toMatch(/#{12,}/);
    }
  });

  it(`ignores runs shorter than ${MIN_PARTIAL_LEAK} characters and secrets below the minimum`, () => {
    expect(finder.find(KEY.slice(0, MIN_PARTIAL_LEAK - 1))).toEqual([]);
    expect(new SecretFinder(['short']).spellings).toEqual([]);
  });
});
