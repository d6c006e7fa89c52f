import { describe, expect, it } from 'vitest';
import { secretForms } from './secret-forms.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJlLWJ5dGVzLXNpZ25hdHVyZQ';

describe('secretForms', () => {
  it('keeps a JWT whole and as its segments, never relying on the dots', () => {
    const { raw } = secretForms(JWT, 6);
    expect(raw).toEqual([JWT, ...JWT.split('.')]);
  });

  it('lists the encodings a service may echo a secret in', () => {
    const secret = 'ab/cd+ef ==.x';
    const { raw, encoded } = secretForms(secret, 6);
    expect(raw).toEqual([secret]);
    expect(encoded).toEqual(
      expect.arrayContaining([
        'ab%2Fcd%2Bef%20%3D%3D.x', // encodeURIComponent
        'ab%2Fcd%2Bef+%3D%3D.x', // form encoding
        'ab%2fcd%2bef%20%3d%3d%2ex', // every non-alphanumeric, dots included
        'ab\\/cd+ef ==.x', // JSON with escaped slashes
        'ab\\u002fcd\\u002bef\\u0020\\u003d\\u003d\\u002ex', // JSON \\u escapes
        'ab&#47;cd&#43;ef&#32;&#61;&#61;&#46;x', // decimal entities
        'ab&#x2f;cd&#x2b;ef&#x20;&#x3d;&#x3d;&#x2e;x', // hex entities
        Buffer.from(secret).toString('base64').slice(0, 16),
      ]),
    );
    expect(new Set(encoded).size).toBe(encoded.length);
    expect(encoded).not.toContain(secret);
  });

  it('gives base64 forms that match at every alignment inside a longer blob', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { encoded } = secretForms(secret, 6);
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const blob = Buffer.from(`${prefix}${secret}!`).toString('base64');
      expect(encoded.some((form) => blob.includes(form))).toBe(true);
      const url = Buffer.from(`${prefix}${secret}!`).toString('base64url');
      expect(encoded.some((form) => url.includes(form))).toBe(true);
    }
  });

  it('encodes HTML-special characters with named entities', () => {
    expect(secretForms('a<b>"c\'&d', 6).encoded).toContain('a&lt;b&gt;&quot;c&#39;&amp;d');
  });
});
