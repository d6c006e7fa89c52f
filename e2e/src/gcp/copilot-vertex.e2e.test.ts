import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-server.ts';
import { startGcpSts, type GcpSts } from '../fakes/gcp-sts.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startGoogleUpstream, VERTEX_ANTHROPIC_VERSION } from '../fakes/google.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';
/** The BYOK base URL's path: clients send paths relative to it. */
const BASE_PATH = '/v1/projects/octo-project/locations/global';
const GEMINI = '/publishers/google/models/gemini-2.5-pro';
const CLAUDE = '/publishers/anthropic/models/claude-opus-4@20250514';
/** The placeholder the workflow compiler writes for offline mode: it counts as absent. */
const OFFLINE_PLACEHOLDER = 'dummy-byok-key-for-offline-mode';

function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}

describe('COPILOT_PROVIDER_TYPE=vertex selects the gcp plugin for the copilot route (real gateway process)', () => {
  let issuer: GithubOidcIssuer;
  let sts: GcpSts;
  let google: FakeUpstream;
  let gateway: GatewayProcess;
  const responses: string[] = [];

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer();
    sts = await startGcpSts({ issuer, audience: PROVIDER });
    google = await startGoogleUpstream({
      authorize: (request) => {
        const token = bearerOf(request);
        return token !== undefined && sts.accepts(token);
      },
    });
    // No AWF_AUTH_PROVIDER: the plugin is derived from COPILOT_PROVIDER_TYPE.
    gateway = await startGatewayProcess({
      AWF_AUTH_TYPE: 'github-oidc',
      COPILOT_PROVIDER_TYPE: 'vertex',
      COPILOT_PROVIDER_BASE_URL: `${google.url}${BASE_PATH}`,
      COPILOT_PROVIDER_API_KEY: OFFLINE_PLACEHOLDER,
      AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
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

  const post = (route: string, path: string, body: unknown) =>
    fetch(`${gateway.url(route)}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${OFFLINE_PLACEHOLDER}`,
      },
      body: JSON.stringify(body),
    });

  it('both the copilot and the vertex route use the federated gcp credential', async () => {
    const table = gateway.logs().find((line) => line.event === 'gateway.routes') as {
      routes: Array<Record<string, unknown>>;
    };
    expect(table.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          route: 'copilot',
          auth: 'github-oidc (gcp)',
          upstream: `${google.url}${BASE_PATH}`,
        }),
        expect.objectContaining({ route: 'vertex', auth: 'github-oidc (gcp)' }),
      ]),
    );
    // The eager first exchange starts at listening: ready once it is done.
    await expect
      .poll(async () => (await fetch(`${gateway.managementUrl}/readyz`)).status, {
        timeout: 10_000,
      })
      .toBe(200);
    const ready = await fetch(`${gateway.managementUrl}/readyz`);
    const body = (await ready.json()) as { routes: Array<Record<string, unknown>> };
    for (const route of ['copilot', 'vertex']) {
      expect(body.routes).toContainEqual(
        expect.objectContaining({ route, provider: 'gcp', ready: true }),
      );
    }
  });

  it('copilot route: Gemini generateContent under the BYOK base path, Bearer = the STS token', async () => {
    const res = await post('copilot', `${GEMINI}:generateContent`, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
    const text = await res.text();
    responses.push(text);
    expect(res.status).toBe(200);
    expect(text).toContain('Hello');
    const seen = google.requests.at(-1)!;
    expect(seen.url).toBe(`${BASE_PATH}${GEMINI}:generateContent`);
    expect(bearerOf(seen)).toBe(sts.federated.at(-1));
    expect(seen.headers.authorization).not.toContain(OFFLINE_PLACEHOLDER);
  });

  it('copilot route: Claude streamRawPredict with @ and : under the base path streams SSE', async () => {
    const res = await post('copilot', `${CLAUDE}:streamRawPredict`, {
      anthropic_version: VERTEX_ANTHROPIC_VERSION,
      max_tokens: 16,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    responses.push(text);
    expect(text).toContain('event: message_start');
    expect(text).toContain('event: message_stop');
    expect(google.requests.at(-1)!.url).toBe(`${BASE_PATH}${CLAUDE}:streamRawPredict`);
  });

  it('one exchange serves both routes (a shared cached credential)', async () => {
    const res = await post('vertex', `${BASE_PATH}${GEMINI}:generateContent`, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
    responses.push(await res.text());
    expect(res.status).toBe(200);
    expect(bearerOf(google.requests.at(-1)!)).toBe(sts.federated[0]);
    expect(new Set(google.requests.map(bearerOf))).toEqual(new Set([sts.federated[0]]));
    expect(sts.count('/v1/token')).toBe(1);
  });

  it('canary: no request token, GitHub token or STS token in any output or response', async () => {
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
