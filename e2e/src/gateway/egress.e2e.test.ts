import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, startForwardProxy, startOpenAiUpstream } from '@keyless/fakes';
import type { FakeUpstream, ForwardProxy, TestCa } from '@keyless/fakes';
import { startGatewayProcess } from '../harness/gateway-process.ts';

const KEY = 'sk-egress-openai-0123456789';

describe('egress: TLS verification and forward proxies', () => {
  let ca: TestCa;
  let tlsUpstream: FakeUpstream;
  let plainUpstream: FakeUpstream;
  let proxy: ForwardProxy;

  beforeAll(async () => {
    ca = await createTestCa();
    [tlsUpstream, plainUpstream, proxy] = await Promise.all([
      startOpenAiUpstream({ tls: await ca.issue() }),
      startOpenAiUpstream(),
      startForwardProxy(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([tlsUpstream?.close(), plainUpstream?.close(), proxy?.close()]);
  });

  const models = async (url: string) => fetch(`${url}/v1/models`);

  it('trusts an HTTPS upstream through NODE_EXTRA_CA_CERTS', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: tlsUpstream.url,
      NODE_EXTRA_CA_CERTS: ca.certFile,
    });
    try {
      const res = await models(gateway.url('openai'));
      expect(res.status).toBe(200);
      expect(tlsUpstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses an HTTPS upstream whose CA it does not trust, and never sends the key', async () => {
    const before = tlsUpstream.requests.length;
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: tlsUpstream.url,
    });
    try {
      const res = await models(gateway.url('openai'));
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('upstream_unreachable');
      expect(body.error.message).toMatch(/certificate/i);
      expect(tlsUpstream.requests.length).toBe(before);
    } finally {
      await gateway.stop();
    }
  });

  it('tunnels HTTPS egress through HTTPS_PROXY with CONNECT', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: tlsUpstream.url.replace('127.0.0.1', 'localhost'),
      NODE_EXTRA_CA_CERTS: ca.certFile,
      HTTPS_PROXY: proxy.url,
    });
    try {
      const res = await models(gateway.url('openai'));
      expect(res.status).toBe(200);
      expect(proxy.connects).toContain(`localhost:${tlsUpstream.port}`);
    } finally {
      await gateway.stop();
    }
  });

  it('sends plain-HTTP egress through HTTP_PROXY, and bypasses it for NO_PROXY hosts', async () => {
    const target = plainUpstream.url.replace('127.0.0.1', 'localhost');
    const proxied = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: target,
      HTTP_PROXY: proxy.url,
    });
    try {
      expect((await models(proxied.url('openai'))).status).toBe(200);
      // undici reaches the proxy with CONNECT for http targets too.
      expect(proxy.connects).toContain(`localhost:${plainUpstream.port}`);
    } finally {
      await proxied.stop();
    }

    const before = proxy.connects.length;
    const bypassed = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: target,
      HTTP_PROXY: proxy.url,
      NO_PROXY: 'localhost',
    });
    try {
      expect((await models(bypassed.url('openai'))).status).toBe(200);
      expect(proxy.connects.length).toBe(before);
    } finally {
      await bypassed.stop();
    }
  });
});
