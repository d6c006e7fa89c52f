import { describe, expect, it } from 'vitest';
import { staticKey } from './static-key.ts';

describe('staticKey', () => {
  it('returns the key trimmed', () => {
    expect(staticKey('  sk-live-123  ')).toBe('sk-live-123');
  });

  it('strips an accidental Bearer / token prefix', () => {
    expect(staticKey('Bearer sk-live-123')).toBe('sk-live-123');
    expect(staticKey('bearer  sk-live-123')).toBe('sk-live-123');
    expect(staticKey('token ghp_abc')).toBe('ghp_abc');
  });

  it('treats empty values and offline placeholders as absent', () => {
    expect(staticKey(undefined)).toBeUndefined();
    expect(staticKey('   ')).toBeUndefined();
    expect(staticKey('dummy-byok-key-for-offline-mode')).toBeUndefined();
    expect(staticKey('ghu_aaaaaaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(staticKey('Bearer ')).toBeUndefined();
  });

  it('keeps real GitHub tokens that merely start like a placeholder', () => {
    expect(staticKey('ghu_aaab')).toBe('ghu_aaab');
  });
});
