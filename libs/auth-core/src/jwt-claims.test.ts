import { describe, expect, it } from 'vitest';
import { presentedClaims, readJwtClaims } from './jwt-claims.ts';

function jwt(payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(payload)}.c2ln`;
}

describe('readJwtClaims', () => {
  it('decodes the payload and converts exp to ms epoch', () => {
    const { claims, expiresAt } = readJwtClaims(
      jwt({ sub: 'repo:o/r:ref:refs/heads/main', exp: 1_700_000_300 }),
    );
    expect(claims['sub']).toBe('repo:o/r:ref:refs/heads/main');
    expect(expiresAt).toBe(1_700_000_300_000);
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it.each([{}, { exp: '1700000300' }])('has no expiry without a numeric exp: %j', (payload) => {
    expect(readJwtClaims(jwt(payload)).expiresAt).toBeUndefined();
  });

  it.each(['opaque-token-value', 'a.b', `${jwt({})}.x.y`, 'x.bm90IGpzb24.z'])(
    'rejects %s without quoting it',
    (token) => {
      expect(() => readJwtClaims(token)).toThrow();
      try {
        readJwtClaims(token);
      } catch (error) {
        expect((error as Error).message).not.toContain(token);
      }
    },
  );
});

describe('presentedClaims', () => {
  it('picks iss, sub, aud and repository, nothing else', () => {
    const token = jwt({
      iss: 'https://ghe.example.com/_services/token',
      sub: 'repo:o/r:environment:prod',
      aud: 'sts.amazonaws.com',
      repository: 'o/r',
      ref: 'refs/heads/main',
      exp: 1_700_000_300,
    });
    expect(presentedClaims(token)).toEqual({
      iss: 'https://ghe.example.com/_services/token',
      sub: 'repo:o/r:environment:prod',
      aud: 'sts.amazonaws.com',
      repository: 'o/r',
    });
  });

  it('joins a multi-valued aud and drops claims that are not strings', () => {
    expect(presentedClaims(jwt({ aud: ['a', 'b', 7], sub: 42 }))).toEqual({ aud: 'a,b' });
  });

  it.each([undefined, '', 'opaque-token-value', 'a.b'])('yields no claims for %s', (token) => {
    expect(presentedClaims(token)).toEqual({});
  });
});
