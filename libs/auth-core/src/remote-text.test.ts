import { describe, expect, it } from 'vitest';
import { boundedLine } from './remote-text.ts';

describe('boundedLine', () => {
  it('flattens whitespace and control characters into single spaces', () => {
    expect(boundedLine('  a\r\n\tb\u0000\u001bc  ', 100)).toBe('a b c');
  });

  it('cuts at maxChars with an ellipsis', () => {
    expect(boundedLine('abcdefghij', 8)).toBe('abcde...');
    expect(boundedLine('abcdefgh', 8)).toBe('abcdefgh');
  });
});
