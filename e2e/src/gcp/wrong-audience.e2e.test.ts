import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEMINI_BODY, GEMINI_GENERATE_PATH, startGcpRig, type GcpRig } from './gcp-rig.ts';

/** GitHub's default audience: a common mistake, not among the provider's allowed audiences. */
const WRONG_AUDIENCE = 'https://github.com/octo-org';

interface GoogleError {
  error: { code: number; message: string; status: string };
}

describe('GCP STS rejects the GitHub token audience (real gateway process)', () => {
  let rig: GcpRig;

  beforeAll(async () => {
    rig = await startGcpRig();
    await rig.startGateway({ AWF_AUTH_OIDC_AUDIENCE: WRONG_AUDIENCE });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('the client gets 503 credential_unavailable in the Google error shape, with the STS reason and the fix', async () => {
    const res = await rig.post('vertex', GEMINI_GENERATE_PATH, GEMINI_BODY);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(res.text) as GoogleError;
    expect(body.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    // The STS reason as GCP words it ...
    expect(body.error.message).toContain('invalid_grant');
    expect(body.error.message).toContain('does not match the expected audience');
    expect(body.error.message).toContain(WRONG_AUDIENCE);
    // ... and the one-line fix naming the setting and its frontmatter key.
    expect(body.error.message).toMatch(/fix: .*AWF_AUTH_OIDC_AUDIENCE \(engine\.auth\.audience\)/);
    // Nothing reached the model upstream without a credential.
    expect(rig.google.requests).toEqual([]);
    // The GitHub token really carried the configured (wrong) audience.
    await expect(
      rig.issuer.verify(rig.issuer.minted.at(-1)!, { audience: WRONG_AUDIENCE }),
    ).resolves.toBeTruthy();
  });

  it('the failure is logged with its code and fix', async () => {
    const [failed] = await rig.waitForEvents('credential.acquire_failed');
    expect(failed).toMatchObject({
      provider: 'gcp',
      code: 'KEYLESS_ERR_GCP_AUDIENCE_MISMATCH',
      hop: 'gcp-sts',
      retryable: false,
    });
    expect(String(failed!.fix)).toContain('AWF_AUTH_OIDC_AUDIENCE');
  });

  it('the process keeps running: liveness answers, readiness and route health say why not ready', async () => {
    expect(rig.gateway.child.exitCode).toBeNull();
    const live = await fetch(`${rig.gateway.managementUrl}/healthz`);
    expect(live.status).toBe(200);

    const ready = await rig.readiness('vertex');
    expect(ready.status).toBe(503);
    expect(ready.route).toMatchObject({ state: 'failing', ready: false });
    expect(ready.route.lastError).toContain('invalid_grant');

    const health = await rig.health('vertex');
    // api-proxy semantics: the sidecar's health check passes; the state says why not ready.
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'healthy',
      provider: 'gcp',
      credential: 'failing',
    });
  });

  it('keeps retrying with backoff rather than in a loop, and a later request gets the same answer', async () => {
    const before = rig.sts.count('/v1/token');
    // A bare request this time: no content type, an empty JSON body.
    const res = await rig.post('vertex', GEMINI_GENERATE_PATH, '{}', {});
    expect(res.status).toBe(503);
    const exchanges = rig.sts.requests.filter((r) => r.url === '/v1/token').map((r) => r.at);
    expect(exchanges.length).toBeGreaterThan(before);
    // The engine keeps at least 1 s between exchanges even while failing (measured here with hop latency, so loosely): no tight loop.
    for (let i = 1; i < exchanges.length; i += 1) {
      expect(exchanges[i]! - exchanges[i - 1]!).toBeGreaterThanOrEqual(500);
    }
  });

  it('canary: no request token or GitHub token in any output or response', async () => {
    expect(await rig.gateway.stop()).toBe(0);
    expect(rig.issuer.minted.length).toBeGreaterThan(0);
    expect(rig.leaks()).toEqual([]);
  });
});
