import https from 'node:https';
import { MockAgent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEgressProxy } from './egress.ts';
import { ConfigError } from './errors.ts';
import { createPluginEgress } from './plugin-egress.ts';

const dispatcher = new MockAgent();
const PROXY = parseEgressProxy({ HTTPS_PROXY: 'http://proxy.test:3128', NO_PROXY: 'direct.test' });

afterAll(async () => {
  await dispatcher.close();
});

describe('createPluginEgress', () => {
  it('hands out the dispatcher it was given, never one of its own', () => {
    expect(createPluginEgress(PROXY, dispatcher).dispatcher).toBe(dispatcher);
  });

  it("picks the proxy per target with the gateway's NO_PROXY rules", () => {
    const egress = createPluginEgress(PROXY, dispatcher);
    expect(egress.proxyUrlFor('https://sts.example')).toBe('http://proxy.test:3128/');
    expect(egress.proxyUrlFor(new URL('https://login.direct.test/tenant'))).toBeUndefined();
    expect(createPluginEgress({}, dispatcher).proxyUrlFor('https://sts.example')).toBeUndefined();
  });

  it('creates a new agent per call, of the target scheme', () => {
    const egress = createPluginEgress(PROXY, dispatcher);
    const one = egress.createAgent('https://sts.example');
    const two = egress.createAgent('https://sts.example');
    expect(one).toBeInstanceOf(https.Agent);
    expect(one).not.toBe(two);
    one.destroy();
    two.destroy();
  });

  it('refuses a proxy at startup on a Node version whose agents would go around it', () => {
    expect(() => createPluginEgress(PROXY, dispatcher, '22.20.0')).toThrow(ConfigError);
    expect(() => createPluginEgress(PROXY, dispatcher, '22.20.0')).toThrow(/^HTTPS_PROXY: /);
    expect(() => createPluginEgress({}, dispatcher, '22.20.0')).not.toThrow();
  });
});
