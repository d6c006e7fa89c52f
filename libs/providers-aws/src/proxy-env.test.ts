import { describe, expect, it } from 'vitest';
import { ConfigError } from '@keyless/auth-core';
import { agentProxySupported, readProxyEnv } from './proxy-env.ts';

describe('agentProxySupported', () => {
  it.each([
    ['22.12.0', false],
    ['22.20.9', false],
    ['22.21.0', true],
    ['22.23.3', true],
    ['23.11.0', false],
    ['24.4.1', false],
    ['24.5.0', true],
    ['25.0.0', true],
  ])('Node %s -> %s', (version, supported) => {
    expect(agentProxySupported(version)).toBe(supported);
  });
});

describe('readProxyEnv', () => {
  it('is empty without proxy variables', () => {
    expect(readProxyEnv({ PATH: '/bin' })).toEqual({});
  });

  it('keeps NO_PROXY even without a proxy', () => {
    expect(readProxyEnv({ no_proxy: 'localhost' })).toEqual({ NO_PROXY: 'localhost' });
  });

  it('fails at startup when a proxy is set but this Node would ignore it', () => {
    expect(() => readProxyEnv({ HTTPS_PROXY: 'http://proxy:3128' }, '22.12.0')).toThrow(
      ConfigError,
    );
    expect(() => readProxyEnv({ HTTP_PROXY: 'http://proxy:3128' }, '22.12.0')).toThrow(
      /^HTTP_PROXY: needs Node\.js >= 22\.21/,
    );
    expect(readProxyEnv({ HTTPS_PROXY: 'https://proxy:3128' }, '22.21.0')).toEqual({
      HTTPS_PROXY: 'https://proxy:3128',
    });
  });
});
