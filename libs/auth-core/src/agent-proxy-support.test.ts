import { parseEgressProxy } from './egress.ts';
import { ConfigError } from './errors.ts';
import { describe, expect, it } from 'vitest';
import { agentProxySupported, assertAgentProxySupported } from './agent-proxy-support.ts';

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

describe('assertAgentProxySupported', () => {
  it('fails when a proxy is set but this Node would ignore it', () => {
    const https = parseEgressProxy({ HTTPS_PROXY: 'http://proxy:3128' });
    expect(() => assertAgentProxySupported(https, 'the test call', '22.12.0')).toThrow(ConfigError);
    expect(() =>
      assertAgentProxySupported(
        parseEgressProxy({ HTTP_PROXY: 'http://proxy:3128' }),
        'the test call',
        '22.12.0',
      ),
    ).toThrow(/^HTTP_PROXY: needs Node\.js >= 22\.21 .* for the test call/);
    expect(() => assertAgentProxySupported(https, 'the test call', '22.21.0')).not.toThrow();
  });

  it('accepts any Node without a proxy, NO_PROXY alone included', () => {
    expect(() =>
      assertAgentProxySupported(
        parseEgressProxy({ NO_PROXY: 'localhost' }),
        'the test call',
        '22.12.0',
      ),
    ).not.toThrow();
  });
});
