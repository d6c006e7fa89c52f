import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGcpSts, type GcpSts } from '../fakes/gcp-sts.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startGoogleUpstream } from '../fakes/google.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';
/** GitHub's default audience: a common mistake, not among the provider's allowed audiences. */
const WRONG_AUDIENCE = 'https://github.com/octo-org';
const GEMINI =
  '/v1/projects/octo-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent';

interface GoogleError {
  error: { code: number; message: string; status: string };
}

describe('GCP STS rejects the GitHub token audience (real gateway process)', () => {
  let issuer: GithubOidcIssuer;
  let sts: GcpSts;
  let google: FakeUpstream;
  let gateway: GatewayProcess;
  const responses: string[] = [];

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer();
    sts = await startGcpSts({ issuer, audience: PROVIDER });
    google = await startGoogleUpstream();
    gateway = await startGatewayProcess({
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_PROVIDER: 'gcp',
      AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
      AWF_AUTH_OIDC_AUDIENCE: WRONG_AUDIENCE,
      AWF_AUTH_GCP_TOKEN_URL: sts.tokenUrl,
      AWF_AUTH_GCP_IAM_CREDENTIALS_URL: sts.iamCredentialsUrl,
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
      VERTEX_API_TARGET: google.url,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([google?.close(), sts?.close(), issuer?.close()]);
  });

  it('the client gets 503 credential_unavailable in the Google error shape, with the STS reason and the fix', async () => {
    const res = await fetch(`${gateway.url('vertex')}${GEMINI}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    const text = await res.text();
    responses.push(text);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(text) as GoogleError;
    expect(body.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    // The STS reason as GCP words it ...
    expect(body.error.message).toContain('invalid_grant');
    expect(body.error.message).toContain('does not match the expected audience');
    expect(body.error.message).toContain(WRONG_AUDIENCE);
    // ... and the one-line fix naming the setting and its frontmatter key.
    expect(body.error.message).toMatch(/fix: .*AWF_AUTH_OIDC_AUDIENCE \(engine\.auth\.audience\)/);
    // Nothing reached the model upstream without a credential.
    expect(google.requests).toEqual([]);
    // The GitHub token really carried the configured (wrong) audience.
    await expect(
      issuer.verify(issuer.minted.at(-1)!, { audience: WRONG_AUDIENCE }),
    ).resolves.toBeTruthy();
  });

  it('the failure is logged with its code and fix', async () => {
    const failedLine = () =>
      gateway.logs().find((line) => line.event === 'credential.acquire_failed');
    await expect.poll(failedLine, { timeout: 10_000 }).toBeDefined();
    const failed = failedLine();
    expect(failed).toMatchObject({
      provider: 'gcp',
      code: 'KEYLESS_ERR_GCP_AUDIENCE_MISMATCH',
      hop: 'gcp-sts',
      retryable: false,
    });
    expect(String(failed!.fix)).toContain('AWF_AUTH_OIDC_AUDIENCE');
  });

  it('the process keeps running: liveness answers, readiness and route health say why not ready', async () => {
    expect(gateway.child.exitCode).toBeNull();
    const live = await fetch(`${gateway.managementUrl}/healthz`);
    expect(live.status).toBe(200);

    const ready = await fetch(`${gateway.managementUrl}/readyz`);
    const readyText = await ready.text();
    responses.push(readyText);
    expect(ready.status).toBe(503);
    const report = JSON.parse(readyText) as {
      routes: Array<{ route: string; state: string; ready: boolean; lastError: string | null }>;
    };
    const vertex = report.routes.find((route) => route.route === 'vertex')!;
    expect(vertex).toMatchObject({ state: 'failing', ready: false });
    expect(vertex.lastError).toContain('invalid_grant');

    const health = await fetch(`${gateway.url('vertex')}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'unavailable',
      provider: 'gcp',
      credential: 'failing',
    });
  });

  it('keeps retrying with backoff rather than in a loop, and a later request gets the same answer', async () => {
    const before = sts.count('/v1/token');
    const res = await fetch(`${gateway.url('vertex')}${GEMINI}`, { method: 'POST', body: '{}' });
    responses.push(await res.text());
    expect(res.status).toBe(503);
    const exchanges = sts.requests.filter((r) => r.url === '/v1/token').map((r) => r.at);
    expect(exchanges.length).toBeGreaterThan(before);
    // The engine keeps at least 1 s between exchanges even while failing (measured here with hop latency, so loosely): no tight loop.
    for (let i = 1; i < exchanges.length; i += 1) {
      expect(exchanges[i]! - exchanges[i - 1]!).toBeGreaterThanOrEqual(500);
    }
  });

  it('canary: no request token or GitHub token in any output or response', async () => {
    expect(await gateway.stop()).toBe(0);
    expect(issuer.minted.length).toBeGreaterThan(0);
    const leaks = findLeaks({ output: gateway.output(), responses: responses.join('\n') }, [
      issuer.requestToken,
      ...issuer.minted,
      ...sts.issued,
    ]);
    expect(leaks).toEqual([]);
  });
});
