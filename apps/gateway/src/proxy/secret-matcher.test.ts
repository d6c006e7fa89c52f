import { describe, expect, it } from 'vitest';
import { maskOf, SecretMatcher } from './secret-matcher.ts';

const KEY = 'sk-live/Ab+9Zx7Qw3Er5Ty1Ui8Op0';

describe('SecretMatcher', () => {
  it('masks every spelling the redactor knows, keeping lengths, and leaves the caller bytes alone', () => {
    const matcher = new SecretMatcher([KEY]);
    const spellings = [
      KEY,
      encodeURIComponent(KEY).toUpperCase().replace('SK-LIVE', 'sk-live'),
      encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
      KEY.replace(/[^A-Za-z0-9]/g, (char) => `&#${char.charCodeAt(0)};`),
      JSON.stringify(KEY).slice(1, -1).replaceAll('/', '\\/'),
      KEY.slice(-20),
    ];
    const window = Buffer.from(spellings.map((spelling) => `<${spelling}>`).join(' '));
    const { scrubbed, matched, held } = matcher.scan(window);
    expect(matched).toBe(true);
    expect(held).toHaveLength(0);
    expect(scrubbed.toString()).toBe(
      spellings.map((spelling) => `<${maskOf(spelling).toString()}>`).join(' '),
    );
    expect(window.toString()).toContain(KEY);
  });

  it('masks base64 at each alignment (a Basic credential)', () => {
    const matcher = new SecretMatcher([KEY]);
    for (const user of ['', 'u:', 'us:']) {
      const basic = `Basic ${Buffer.from(`${user}${KEY}`).toString('base64')}`;
      const scrubbed = matcher.scrubText(basic);
      expect(scrubbed).toHaveLength(basic.length);
      expect(Buffer.from(scrubbed.slice(6), 'base64').toString('latin1')).not.toContain(
        KEY.slice(8, 24),
      );
    }
  });

  it('masks whole texts (header values), and returns an untouched text as is', () => {
    const matcher = new SecretMatcher([KEY]);
    expect(matcher.scrubText(`Bearer ${KEY}; seen=x`)).toBe(`Bearer ${maskOf(KEY)}; seen=x`);
    const clean = 'application/json';
    expect(matcher.scrubText(clean)).toBe(clean);
  });

  it('masks keep the marker when they can and never reveal a byte of the secret', () => {
    expect(maskOf('sk-0123456789abcdef').toString()).toBe('[REDACTED]*********');
    expect(maskOf('short').toString()).toBe('[REDA');
    expect(maskOf(3).toString()).toBe('[RE');
  });

  it('holds a trailing piece that may begin a secret, and nothing after bytes no spelling has', () => {
    const matcher = new SecretMatcher([KEY]);
    const window = Buffer.from('data: sk-li');
    const { scrubbed, matched, held } = matcher.scan(window);
    expect(matched).toBe(false);
    expect(scrubbed.toString()).toBe('data: ');
    expect(held.toString()).toBe('sk-li');
    expect(matcher.scan(Buffer.from('data: {"x":1}\n\n')).held).toHaveLength(0);
    expect(matcher.scan(window, undefined, true).held).toHaveLength(0);
  });

  it('holds a run of a raw form that ends the window, then masks it whole', () => {
    const matcher = new SecretMatcher([KEY]);
    const first = matcher.scan(Buffer.from(`x ${KEY.slice(0, 20)}`));
    expect(first.scrubbed.toString()).toBe('x ');
    const second = matcher.scan(Buffer.concat([first.held, Buffer.from(`${KEY.slice(20)} y`)]));
    expect(`${second.scrubbed}${second.held}`).toBe(`${maskOf(KEY)} y`);
  });

  it('masks the continuation of a secret that began in the previous message', () => {
    const matcher = new SecretMatcher([KEY]);
    const before = Buffer.from(`{"k":"${KEY.slice(0, 10)}`);
    const { scrubbed, matched } = matcher.scrubMessage(Buffer.from(`${KEY.slice(10)}"}`), before);
    expect(matched).toBe(true);
    expect(scrubbed.toString()).not.toContain(KEY.slice(10, 20));
    expect(scrubbed).toHaveLength(KEY.length - 10 + 2);
  });

  it('never leaves half an escape sequence: the JSON around a mask still parses', () => {
    const matcher = new SecretMatcher([KEY]);
    const escaped = KEY.replace(
      /[^A-Za-z0-9]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    for (const json of [
      JSON.stringify({ echo: escaped }), // a JSON-escaped spelling, escaped again
      JSON.stringify({ echo: escaped.slice(3, 40) }),
      JSON.stringify({ echo: `x"${KEY}\\` }),
    ]) {
      const scrubbed = matcher.scrubText(json);
      expect(scrubbed, json).not.toBe(json);
      expect(() => JSON.parse(scrubbed), scrubbed).not.toThrow();
    }
  });
});
