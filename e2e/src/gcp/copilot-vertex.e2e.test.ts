import { bearerOf } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeBody, GEMINI_BODY, startGcpRig, type GcpRig } from './gcp-rig.ts';

/** The BYOK base URL's path: clients send paths relative to it. */
const BASE_PATH = '/v1/projects/octo-project/locations/global';
const GEMINI = '/publishers/google/models/gemini-2.5-pro';
const CLAUDE = '/publishers/anthropic/models/claude-opus-4@20250514';
/** The placeholder the workflow compiler writes for offline mode: it counts as absent. */
const OFFLINE_PLACEHOLDER = 'dummy-byok-key-for-offline-mode';

describe('COPILOT_PROVIDER_TYPE=vertex selects the gcp plugin for the copilot route (real gateway process)', () => {
  let rig: GcpRig;

  beforeAll(async () => {
    rig = await startGcpRig();
    await rig.startGateway({
      // No AWF_AUTH_PROVIDER: the plugin is derived from COPILOT_PROVIDER_TYPE.
      AWF_AUTH_PROVIDER: undefined,
      COPILOT_PROVIDER_TYPE: 'vertex',
      COPILOT_PROVIDER_BASE_URL: `${rig.google.url}${BASE_PATH}`,
      COPILOT_PROVIDER_API_KEY: OFFLINE_PLACEHOLDER,
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const post = (route: string, path: string, body: string) =>
    rig.post(route, path, body, {
      'content-type': 'application/json',
      authorization: `Bearer ${OFFLINE_PLACEHOLDER}`,
    });

  it('both the copilot and the vertex route use the federated gcp credential', async () => {
    const [table] = rig.events('gateway.routes') as Array<{
      routes: Array<Record<string, unknown>>;
    }>;
    expect(table!.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          route: 'copilot',
          auth: 'github-oidc (gcp)',
          upstream: `${rig.google.url}${BASE_PATH}`,
        }),
        expect.objectContaining({ route: 'vertex', auth: 'github-oidc (gcp)' }),
      ]),
    );
    // The eager first exchange starts at listening: ready once it is done.
    await expect
      .poll(async () => (await rig.readiness('copilot')).status, { timeout: 10_000 })
      .toBe(200);
    for (const route of ['copilot', 'vertex']) {
      expect((await rig.readiness(route)).route).toMatchObject({
        route,
        provider: 'gcp',
        ready: true,
      });
    }
  });

  it('copilot route: Gemini generateContent under the BYOK base path, Bearer = the STS token', async () => {
    const res = await post('copilot', `${GEMINI}:generateContent`, GEMINI_BODY);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Hello');
    const seen = rig.google.requests.at(-1)!;
    expect(seen.url).toBe(`${BASE_PATH}${GEMINI}:generateContent`);
    expect(bearerOf(seen)).toBe(rig.sts.federated.at(-1));
    expect(seen.headers.authorization).not.toContain(OFFLINE_PLACEHOLDER);
  });

  it('copilot route: Claude streamRawPredict with @ and : under the base path streams SSE', async () => {
    const res = await post('copilot', `${CLAUDE}:streamRawPredict`, claudeBody(true));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.text).toContain('event: message_start');
    expect(res.text).toContain('event: message_stop');
    expect(rig.google.requests.at(-1)!.url).toBe(`${BASE_PATH}${CLAUDE}:streamRawPredict`);
  });

  it('one exchange serves both routes (a shared cached credential)', async () => {
    const res = await post('vertex', `${BASE_PATH}${GEMINI}:generateContent`, GEMINI_BODY);
    expect(res.status).toBe(200);
    const { google, sts } = rig;
    expect(bearerOf(google.requests.at(-1)!)).toBe(sts.federated[0]);
    expect(new Set(google.requests.map(bearerOf))).toEqual(new Set([sts.federated[0]]));
    expect(sts.count('/v1/token')).toBe(1);
  });

  it('canary: no request token, GitHub token or STS token in any output or response', async () => {
    expect(await rig.gateway.stop()).toBe(0);
    expect(rig.issuer.minted.length).toBeGreaterThan(0);
    expect(rig.leaks()).toEqual([]);
  });
});
