import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { resolveProxy } from './egress-proxy.ts';

const AUTHORITY = new URL('https://login.microsoftonline.com');

describe('resolveProxy', () => {
  it('is direct when no proxy variable is set', () => {
    expect(resolveProxy({}, AUTHORITY)).toBeUndefined();
  });

  it.each([
    [{ HTTPS_PROXY: 'http://p:3128' }, 'http://p:3128/'],
    [{ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }, 'http://lower:1/'],
    [{ HTTP_PROXY: 'http://fallback:8080' }, 'http://fallback:8080/'],
    [{ HTTPS_PROXY: 'https://p:3129', HTTP_PROXY: 'http://other:1' }, 'https://p:3129/'],
    [{ HTTPS_PROXY: 'p.internal:3128' }, 'http://p.internal:3128/'],
  ])('%j proxies https egress through %s', (env, proxy) => {
    expect(resolveProxy(env, AUTHORITY)).toBe(proxy);
  });

  it('uses only HTTP_PROXY for plain http targets', () => {
    const env = { HTTPS_PROXY: 'http://secure:1', HTTP_PROXY: 'http://plain:2' };
    expect(resolveProxy(env, new URL('http://example.test'))).toBe('http://plain:2/');
  });

  it.each([
    '*',
    'login.microsoftonline.com',
    'microsoftonline.com',
    '.microsoftonline.com',
    '*.microsoftonline.com',
    'localhost, login.microsoftonline.com:443',
    'LOGIN.MICROSOFTONLINE.COM',
  ])('NO_PROXY=%s bypasses the proxy', (noProxy) => {
    expect(
      resolveProxy({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: noProxy }, AUTHORITY),
    ).toBeUndefined();
  });

  it.each(['login.microsoftonline.com:8443', 'other.com', 'online.com', 'gin.microsoftonline.com'])(
    'NO_PROXY=%s does not match the authority',
    (noProxy) => {
      expect(resolveProxy({ HTTPS_PROXY: 'http://p:3128', no_proxy: noProxy }, AUTHORITY)).toBe(
        'http://p:3128/',
      );
    },
  );

  it('matches NO_PROXY entries against IP targets and ports', () => {
    const env = { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '127.0.0.1:8443' };
    expect(resolveProxy(env, new URL('https://127.0.0.1:8443'))).toBeUndefined();
    expect(resolveProxy(env, new URL('https://127.0.0.1:9443'))).toBe('http://p:3128/');
  });

  it('names the variable that holds an unusable proxy', () => {
    expect(() => resolveProxy({ HTTP_PROXY: 'http://[bad' }, AUTHORITY)).toThrow(ConfigError);
    expect(() => resolveProxy({ HTTP_PROXY: 'http://[bad' }, AUTHORITY)).toThrow(
      /^HTTP_PROXY: is not a URL/,
    );
  });
});
