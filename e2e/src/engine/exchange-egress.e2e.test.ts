import { startForwardProxy } from '@keyless/fakes';
import type { ForwardProxy } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import { startEngineRig } from './engine-rig.ts';
import type { EngineRig } from './engine-rig.ts';

/** Password of the proxy URL: the core registers it once, and it must never show up. */
const PROXY_PASSWORD = 'opaque-proxy-pass-e2e-0001';

const hostOf = (url: string) => new URL(url).host;

describe('credential engine through the gateway: exchanges use the configured egress proxy', () => {
  let rig: EngineRig;
  let proxy: ForwardProxy;

  beforeAll(async () => {
    rig = await startEngineRig();
    proxy = await startForwardProxy();
    await rig.startGateway({
      HTTP_PROXY: `http://ci:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`,
      // The upstream is reached directly: NO_PROXY applies per target, exchanges included.
      NO_PROXY: hostOf(rig.upstream.url),
    });
  });
  afterAll(async () => {
    await rig?.close();
    await proxy?.close();
  });

  it("the GitHub token request and the plugin's exchange go through the proxy; the NO_PROXY upstream does not", async () => {
    expect((await rig.chat()).status).toBe(200);
    // undici reaches the proxy with CONNECT for http targets too.
    expect(proxy.connects).toContain(hostOf(rig.issuer.requestUrl));
    expect(proxy.connects).toContain(hostOf(rig.service.tokenUrl));
    expect(proxy.connects).not.toContain(hostOf(rig.upstream.url));
    expect(rig.upstream.requests.at(-1)!.headers.authorization).toBe(
      `Bearer ${rig.service.issued.at(-1)!.token}`,
    );
  });

  it('canary: neither the proxy password nor any token in the output or any response', async () => {
    expect((await rig.chat()).status).toBe(200);
    expect(await rig.stopGateway()).toBe(0);
    const texts = { output: rig.gateway.output(), responses: rig.responses.join('\n') };
    expect(findLeaks(texts, [...rig.secrets(), PROXY_PASSWORD])).toEqual([]);
  });
});
