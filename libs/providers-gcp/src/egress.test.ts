import { ConfigError } from '@keyless/auth-core';
import { EnvHttpProxyAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { createEgressDispatcher, egressSecrets, parseEgress } from './egress.ts';

describe('parseEgress', () => {
  it('reads both spellings, the lower-case one winning as in undici', () => {
    expect(
      parseEgress({
        HTTP_PROXY: 'http://upper:3128',
        http_proxy: 'http://lower:3128',
        HTTPS_PROXY: 'http://secure:3128',
        no_proxy: 'localhost,.internal:8443',
      }),
    ).toEqual({ httpProxy: 'http://lower:3128', httpsProxy: 'http://secure:3128', noProxy: 'localhost,.internal:8443' });
  });

  it('treats blank values as unset', () => {
    expect(parseEgress({ https_proxy: ' ', HTTPS_PROXY: 'http://p:1' }).httpsProxy).toBe('http://p:1');
    expect(parseEgress({})).toEqual({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
  });

  it('refuses a non-http proxy without echoing a value that may hold credentials', () => {
    let error: unknown;
    try {
      parseEgress({ https_proxy: 'socks5://user:hunter22@proxy:1080' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('https_proxy: must be a proxy URL');
    expect((error as Error).message).not.toContain('hunter22');
  });
});

describe('egressSecrets', () => {
  it('returns proxy passwords, raw and decoded, for redaction', () => {
    const egress = parseEgress({ HTTPS_PROXY: 'http://ci:p%40ss-word@proxy:3128', HTTP_PROXY: 'http://proxy:3128' });
    expect(egressSecrets(egress)).toEqual(['p%40ss-word', 'p@ss-word']);
  });
});

describe('createEgressDispatcher', () => {
  it('builds an undici EnvHttpProxyAgent', async () => {
    const dispatcher = createEgressDispatcher(parseEgress({ HTTPS_PROXY: 'http://proxy:3128' }));
    expect(dispatcher).toBeInstanceOf(EnvHttpProxyAgent);
    await dispatcher.close();
  });
});
