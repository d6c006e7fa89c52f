import { setTimeout as delay } from 'node:timers/promises';
import { APIError, AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntra, type Entra, type FederatedCredential } from '../fakes/entra.ts';
import { pathOf, type RecordedRequest } from '../fakes/fake-server.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startOpenAiUpstream } from '../fakes/openai.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { createTestCa, type TestCa } from '../fakes/tls.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
/** `sub` of the fake issuer's default job (a push to main of octo-org/octo-repo). */
const SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
const TOKEN_PATH = `/${TENANT_ID}/oauth2/v2.0/token`;
const DEPLOYMENT = 'gpt-4o-mini';
const API_VERSION = '2024-10-21';
const ANSWER = 'Hello from the fake upstream.';
const PLACEHOLDER_KEY = 'placeholder-azure-api-key';
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

/** The bearer token of a recorded request, if any. */
function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}

/** The Entra chain's fakes; `federatedCredentials` is the live list Entra matches against (tests may change it). */
interface AzureFakes {
  readonly ca: TestCa;
  readonly issuer: GithubOidcIssuer;
  readonly entra: Entra;
  readonly openai: FakeUpstream;
  readonly federatedCredentials: FederatedCredential[];
}

async function startAzureFakes(options: {
  subject: string;
  expiresIn?: number;
}): Promise<AzureFakes> {
  const ca = await createTestCa();
  const issuer = await startGithubOidcIssuer();
  const federatedCredentials: FederatedCredential[] = [
    { tenantId: TENANT_ID, clientId: CLIENT_ID, subject: options.subject },
  ];
  const entra = await startEntra({
    issuer,
    tls: await ca.issue(),
    federatedCredentials,
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  const openai = await startOpenAiUpstream({
    authorize: (request) => {
      const token = bearerOf(request);
      return token !== undefined && entra.accepts(token);
    },
  });
  return { ca, issuer, entra, openai, federatedCredentials };
}

/** Exactly what a workflow sets for Copilot BYOK on Azure OpenAI with GitHub OIDC, pointed at the fakes. */
function workflowEnv(fakes: AzureFakes): Record<string, string> {
  return {
    COPILOT_PROVIDER_BASE_URL: `${fakes.openai.url}/openai`,
    COPILOT_PROVIDER_TYPE: 'azure',
    AWF_AUTH_TYPE: 'github-oidc',
    AWF_AUTH_AZURE_TENANT_ID: TENANT_ID,
    AWF_AUTH_AZURE_CLIENT_ID: CLIENT_ID,
    ACTIONS_ID_TOKEN_REQUEST_URL: fakes.issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: fakes.issuer.requestToken,
    AZURE_AUTHORITY_HOST: fakes.entra.authorityHost,
    NODE_EXTRA_CA_CERTS: fakes.ca.certFile,
  };
}

async function stopAll(
  gateway: GatewayProcess | undefined,
  fakes: AzureFakes | undefined,
): Promise<void> {
  await gateway?.stop();
  await Promise.all([fakes?.openai.close(), fakes?.entra.close(), fakes?.issuer.close()]);
}

/** A classic-path chat completion as the AzureOpenAI client sends it, read raw (status, headers, body). */
async function chat(
  gateway: GatewayProcess,
  stream = false,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(
    `${gateway.url('copilot')}/deployments/${DEPLOYMENT}/chat/completions?api-version=${API_VERSION}`,
    {
      method: 'POST',
      headers: { 'api-key': PLACEHOLDER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: MESSAGES, stream }),
    },
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('Azure: a federated-credential mismatch (real gateway process)', () => {
  let fakes: AzureFakes;
  let gateway: GatewayProcess;
  const responses: string[] = [];

  beforeAll(async () => {
    // The app trusts only the production environment; the job runs on main.
    fakes = await startAzureFakes({ subject: 'repo:octo-org/octo-repo:environment:production' });
    gateway = await startGatewayProcess(workflowEnv(fakes));
  });
  afterAll(() => stopAll(gateway, fakes));

  it('the client gets 503 credential_unavailable with the AADSTS code and the fix, in the OpenAI shape', async () => {
    const res = await chat(gateway);
    responses.push(res.text);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(res.text) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'keyless_error', code: 'credential_unavailable' });
    expect(body.error.message).toContain('AADSTS700213');
    // The fix names what to register: the job's subject against this app.
    expect(body.error.message).toContain('no federated credential matches');
    expect(body.error.message).toContain(`subject ${SUBJECT}`);
    expect(body.error.message).toContain(CLIENT_ID);
    expect(fakes.openai.count()).toBe(0);
  });

  it('the AzureOpenAI client surfaces that message', async () => {
    const client = new AzureOpenAI({
      baseURL: gateway.url('copilot'),
      apiKey: PLACEHOLDER_KEY,
      apiVersion: API_VERSION,
      deployment: DEPLOYMENT,
      maxRetries: 0,
    });
    const error = await client.chat.completions
      .create({ model: DEPLOYMENT, messages: MESSAGES })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(503);
    expect(apiError.message).toContain('AADSTS700213');
    responses.push(apiError.message);
  });

  it('the process keeps running: /health answers, /readyz is 503 with the last error, the log has the typed error', async () => {
    expect(gateway.child.exitCode).toBeNull();
    const health = await fetch(`${gateway.url('copilot')}/health`);
    const healthText = await health.text();
    responses.push(healthText);
    expect(health.status).toBe(503);
    expect(JSON.parse(healthText)).toMatchObject({
      status: 'unavailable',
      provider: 'azure',
      credential: 'failing',
    });

    const ready = await fetch(`${gateway.managementUrl}/readyz`);
    const readyText = await ready.text();
    responses.push(readyText);
    expect(ready.status).toBe(503);
    const route = (JSON.parse(readyText) as { routes: Array<Record<string, unknown>> }).routes.find(
      (entry) => entry.route === 'copilot',
    );
    expect(route).toMatchObject({
      provider: 'azure',
      auth: 'github-oidc',
      state: 'failing',
      ready: false,
    });
    expect(String(route!.lastError)).toContain('AADSTS700213');

    const failures = gateway.logs().filter((line) => line.event === 'credential.acquire_failed');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]).toMatchObject({
      provider: 'azure',
      code: 'KEYLESS_ERR_AZURE_NO_FEDERATED_CREDENTIAL',
      hop: 'entra-token',
      retryable: false,
    });
    expect(String(failures[0]!.fix)).toContain(`subject ${SUBJECT}`);
  });

  it('once the federated credential is registered, the next request succeeds without a restart', async () => {
    fakes.federatedCredentials.push({ tenantId: TENANT_ID, clientId: CLIENT_ID, subject: SUBJECT });
    const res = await chat(gateway);
    responses.push(res.text);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ choices: [{ message: { content: ANSWER } }] });
    expect(bearerOf(fakes.openai.requests.at(-1)!)).toBe(fakes.entra.issued[0]);
    await expect
      .poll(async () => (await fetch(`${gateway.managementUrl}/readyz`)).status)
      .toBe(200);
  });

  it('canary: no request token, GitHub token or Entra token in any output or response', async () => {
    expect(await gateway.stop()).toBe(0);
    const secrets = [fakes.issuer.requestToken, ...fakes.issuer.minted, ...fakes.entra.issued];
    expect(fakes.issuer.minted.length).toBeGreaterThanOrEqual(2);
    expect(
      findLeaks({ output: gateway.output(), responses: responses.join('\n') }, secrets),
    ).toEqual([]);
  });
});

describe('Azure: short Entra lifetimes (real gateway process)', () => {
  /** `expires_in` Entra grants, seconds: refreshed at about half-life. */
  const LIFETIME_S = 4;
  /** Smallest spacing of proactive refreshes accepted, ms: below half-life less jitter (1.8 s), above the 1 s minimum interval. */
  const MIN_GAP_MS = 1_500;
  /** Exchanges to observe: the first plus this many proactive refreshes. */
  const REFRESHES = 3;
  let fakes: AzureFakes;
  let gateway: GatewayProcess;
  const responses: string[] = [];

  beforeAll(async () => {
    fakes = await startAzureFakes({ subject: SUBJECT, expiresIn: LIFETIME_S });
    gateway = await startGatewayProcess(workflowEnv(fakes));
  });
  afterAll(() => stopAll(gateway, fakes));

  it('requests keep succeeding across proactive refreshes, with no failed request and no refresh loop', async () => {
    const statuses: number[] = [];
    // A steady trickle of requests (every tenth one streaming) until the credential was refreshed REFRESHES times.
    for (let sent = 0; fakes.entra.issued.length < REFRESHES + 1; sent++) {
      if (sent > 400)
        throw new Error(`only ${fakes.entra.issued.length} Entra tokens after ${sent} requests`);
      const res = await chat(gateway, sent % 10 === 9);
      responses.push(res.text);
      statuses.push(res.status);
      await delay(50);
    }
    // One more request on the latest credential.
    const last = await chat(gateway);
    responses.push(last.text);
    statuses.push(last.status);

    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // The upstream never rejected a token: one upstream request per client request, no replay, no invalidation.
    expect(fakes.openai.requests).toHaveLength(statuses.length);
    for (const request of fakes.openai.requests)
      expect(fakes.entra.issued).toContain(bearerOf(request));
    expect(
      gateway.logs().filter((line) => line.event === 'request' && line.replayed === true),
    ).toEqual([]);
    const events = gateway.logs().filter((line) => String(line.event).startsWith('credential.'));
    expect(events.map((line) => line.event)).not.toContain('credential.invalidated');
    expect(events.map((line) => line.event)).not.toContain('credential.refresh_failed');
    expect(events.map((line) => line.event)).not.toContain('credential.acquire_failed');

    // Every Entra call issued a token (a refresh may be in flight: let it land), each with a freshly minted GitHub token.
    await expect.poll(() => fakes.entra.count(TOKEN_PATH) - fakes.entra.issued.length).toBe(0);
    const assertions = fakes.entra.requests
      .filter((request) => pathOf(request.url) === TOKEN_PATH)
      .map((request) => new URLSearchParams(request.body.toString('utf8')).get('client_assertion'));
    expect(new Set(assertions).size).toBe(assertions.length);
    for (const assertion of assertions) expect(fakes.issuer.minted).toContain(assertion);

    // Proactive refreshes (not demanded by a request), spaced about half a lifetime apart: 2 s less
    // at most 10% jitter. A loop at the engine's 1 s minimum interval would be closer than this bound.
    const exchanges = events.filter(
      (line) => line.event === 'credential.acquired' || line.event === 'credential.refreshed',
    );
    expect(exchanges.length).toBeGreaterThanOrEqual(REFRESHES + 1);
    expect(exchanges.slice(1).map((line) => line.reason)).toEqual(
      Array(exchanges.length - 1).fill('refresh'),
    );
    const times = exchanges.map((line) => Number(line.time)); // pino `time`, ms epoch
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(MIN_GAP_MS);
  });

  it('canary: no request token, GitHub token or Entra token in any output or response', async () => {
    expect(await gateway.stop()).toBe(0);
    const secrets = [fakes.issuer.requestToken, ...fakes.issuer.minted, ...fakes.entra.issued];
    expect(fakes.entra.issued.length).toBeGreaterThanOrEqual(REFRESHES + 1);
    expect(
      findLeaks({ output: gateway.output(), responses: responses.join('\n') }, secrets),
    ).toEqual([]);
  });
});
