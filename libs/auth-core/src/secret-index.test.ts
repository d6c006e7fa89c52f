import { describe, expect, it } from 'vitest';
import { asciiLower, MIN_PARTIAL_LEAK, SecretIndex } from './secret-index.ts';

const RAW = 'q7Lm2Xv9Rt4Wz8Bn3Kp6Hs1Dc5Fg0Jy';

describe('SecretIndex', () => {
  it('finds a raw form whole, case-insensitively', () => {
    const index = new SecretIndex();
    index.add(asciiLower(RAW), true);
    const text = `x ${RAW.toUpperCase()} y`;
    expect(index.find(text)).toEqual([[2, 2 + RAW.length]]);
  });

  it(`finds any run of ${MIN_PARTIAL_LEAK} characters of a raw form, at any offset`, () => {
    const index = new SecretIndex();
    index.add(asciiLower(RAW), true);
    for (let start = 0; start + MIN_PARTIAL_LEAK <= RAW.length; start += 1) {
      const piece = RAW.slice(start, start + MIN_PARTIAL_LEAK);
      expect(index.find(`<${piece}>`), `offset ${start}`).toEqual([[1, 1 + MIN_PARTIAL_LEAK]]);
    }
    expect(index.find(`<${RAW.slice(3, 3 + MIN_PARTIAL_LEAK - 1)}>`)).toEqual([]);
  });

  it('finds an encoded form only whole', () => {
    const index = new SecretIndex();
    index.add('ab%2fcd%2bef', false);
    expect(index.find('x=AB%2fCD%2bEF&')).toEqual([[2, 14]]);
    expect(index.find('x=ab%2Fcd%2B')).toEqual([]);
  });

  it('merges overlapping finds and keeps the index size proportional to the text indexed', () => {
    const index = new SecretIndex();
    index.add('abcdef', false);
    index.add('abcdef-ghijkl', false);
    expect(index.find('abcdef-ghijkl abcdef')).toEqual([
      [0, 13],
      [14, 20],
    ]);
    expect(index.size).toBe(2);
    index.add(asciiLower(RAW), true);
    expect(index.size).toBe(2 + Math.floor((RAW.length - 6) / 8) + 1);
  });

  it('finds a form at every offset of a long text (the rolling hash equals the hash of each piece)', () => {
    const index = new SecretIndex();
    index.add(asciiLower(RAW), true);
    const filler = 'The quick brown fox, 0123456789; ';
    for (let at = 0; at < 70; at += 1) {
      const text = `${filler.repeat(3).slice(0, at)}${RAW}${filler}`;
      expect(index.find(text), `offset ${at}`).toEqual([[at, at + RAW.length]]);
    }
  });

  it('forgets a removed form', () => {
    const index = new SecretIndex();
    const indexed = index.add(asciiLower(RAW), true);
    index.remove(indexed);
    expect(index.size).toBe(0);
    expect(index.find(RAW)).toEqual([]);
  });

  it('a sampled index finds every run, at every offset', () => {
    const index = SecretIndex.sampled([asciiLower(RAW)]);
    for (let start = 0; start + MIN_PARTIAL_LEAK <= RAW.length; start += 1) {
      for (const lead of ['', '<', '<-#', '<-- # -- #> ']) {
        const piece = RAW.slice(start, start + MIN_PARTIAL_LEAK);
        const at = lead.length;
        expect(index.find(`${lead}${piece}>`), `${start}/${at}`).toEqual([
          [at, at + MIN_PARTIAL_LEAK],
        ]);
      }
    }
    const short = SecretIndex.sampled(['ab%2fcd%2bef']);
    for (const lead of ['', 'x=', 'abc=', 'long lead text ']) {
      const at = lead.length;
      expect(short.find(`${lead}AB%2fCD%2bEF&`)).toEqual([[at, at + 12]]);
    }
    expect(index.find(`<${RAW.slice(3, 3 + MIN_PARTIAL_LEAK - 1)}>`)).toEqual([]);
  });
});
