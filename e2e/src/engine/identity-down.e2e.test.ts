import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathOf } from '@keyless/fakes';
import { startEngineRig } from './engine-rig.ts';
import type { ReadResponse } from '../harness/responses.ts';
import type { EngineRig } from './engine-rig.ts';

/** The gateway-made 503 in the OpenAI shape; returns its message. */
function expectCredentialUnavailable(response: ReadResponse): string {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  const body = JSON.parse(response.text) as {
    error: { message: string; type: string; code: string };
  };
  expect(body.error).toMatchObject({ type: 'keyless_error', code: 'credential_unavailable' });
  return body.error.message;
}

describe('credential engine through the gateway: identity provider down at start', () => {
  let rig: EngineRig;

  beforeAll(async () => {
    rig = await startEngineRig();
    // A broken GitHub token service that even echoes the request token back.
    rig.issuer.inject({
      match: (request) => pathOf(request.url) === '/token',
      status: 500,
      body: JSON.stringify({ message: `internal error serving ${rig.issuer.requestToken}` }),
    });
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('answers 503 credential_unavailable with Retry-After and the redacted cause', async () => {
    const message = expectCredentialUnavailable(await rig.chat());
    expect(message).toContain('GitHub OIDC token service answered HTTP 500');
    expect(message).toContain('[REDACTED]');
    expect(message).not.toContain(rig.issuer.requestToken);
    expect(rig.upstream.count()).toBe(0);
    expect(rig.service.count('/token')).toBe(0);
  });

  it('/readyz is 503 with state failing and the last error', async () => {
    const { status, route } = await rig.readiness();
    expect(status).toBe(503);
    expect(route).toMatchObject({
      provider: 'test',
      state: 'failing',
      ready: false,
      secondsToExpiry: null,
    });
    expect(route.lastError).toContain('HTTP 500');
    expect(route.lastError).not.toContain(rig.issuer.requestToken);
    await expect
      .poll(() => rig.events('credential.acquire_failed').length)
      .toBeGreaterThanOrEqual(1);
    expect(rig.events('credential.acquire_failed')[0]).toMatchObject({
      provider: 'test',
      hop: 'github-oidc',
    });
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'test',
        result: 'failure',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('reports the next hop once GitHub answers but the token service is down', async () => {
    rig.service.inject({ status: 503, body: JSON.stringify({ error: 'temporarily_unavailable' }) });
    rig.issuer.clearFaults();
    await expect
      .poll(async () => expectCredentialUnavailable(await rig.chat()), {
        timeout: 15_000,
        interval: 200,
      })
      .toContain('test token service answered HTTP 503');
    expect(rig.service.count('/token')).toBeGreaterThanOrEqual(1);
    expect((await rig.readiness()).route.lastError).toContain(
      'test token service answered HTTP 503',
    );
    await expect.poll(() => rig.events('credential.acquire_failed').at(-1)?.hop).toBe('test-sts');
  });

  it('recovers without a restart once the token service is back', async () => {
    rig.service.clearFaults();
    await expect
      .poll(async () => (await rig.chat()).status, { timeout: 15_000, interval: 200 })
      .toBe(200);
    expect((await rig.chat()).status).toBe(200);

    const { status, route } = await rig.readiness();
    expect(status).toBe(200);
    expect(route).toMatchObject({ state: 'ready', ready: true, lastError: null });
    expect(route.secondsToExpiry).toBeGreaterThan(3000);
    await expect.poll(() => rig.events('credential.acquired').length).toBe(1);
    expect(rig.gateway.child.exitCode).toBeNull();
    expect(rig.upstream.requests.at(-1)!.headers.authorization).toBe(
      `Bearer ${rig.service.issued.at(-1)!.token}`,
    );
  });

  it('canary: no request token, GitHub token or access token in the output or any response', async () => {
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.leaks()).toEqual([]);
    // The echoed request token did reach the gateway, and was redacted everywhere.
    expect(rig.gateway.output()).toContain('[REDACTED]');
  });
});

describe('credential engine through the gateway: bounded wait for a hanging exchange', () => {
  const WAIT_MS = 500;
  let rig: EngineRig;

  beforeAll(async () => {
    rig = await startEngineRig();
    rig.service.hold();
    await rig.startGateway({ KEYLESS_CREDENTIAL_WAIT_MS: String(WAIT_MS) });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it(`answers 503 with Retry-After after ${WAIT_MS} ms, naming the wait as the cause`, async () => {
    await expect.poll(() => rig.service.held).toBe(1);
    const message = expectCredentialUnavailable(await rig.chat());
    expect(message).toContain(`no credential within ${WAIT_MS} ms`);
    expect(message).toContain('still running');
    expect(rig.upstream.count()).toBe(0);
    // Still the one exchange: the waiting request did not start another.
    expect(rig.service.count('/token')).toBe(1);
    await expect.poll(() => rig.events('credential.unavailable').length).toBe(1);

    const { status, route } = await rig.readiness();
    expect(status).toBe(503);
    expect(route).toMatchObject({ state: 'acquiring', ready: false });
  });

  it("the route's /health is 200 while the credential is acquiring (the sidecar's health check)", async () => {
    const health = await fetch(`${rig.gateway.url('openai')}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'healthy',
      route: 'openai',
      configured: true,
      credential: 'acquiring',
    });
    expect(rig.service.held).toBe(1);
  });

  it('serves requests once the held exchange completes', async () => {
    rig.service.release();
    await expect.poll(async () => (await rig.readiness()).status).toBe(200);
    expect((await rig.chat()).status).toBe(200);
    expect(rig.service.count('/token')).toBe(1);
  });

  it('canary: no request token, GitHub token or access token in the output or any response', async () => {
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.secrets().length).toBe(3);
    expect(rig.leaks()).toEqual([]);
  });
});
