import { bearerOf, pathOf } from '@keyless/fakes';
import { setTimeout as delay } from 'node:timers/promises';
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANSWER,
  CLIENT_ID,
  DEPLOYMENT,
  MESSAGES,
  SUBJECT,
  TENANT_ID,
  TOKEN_PATH,
  startAzureRig,
  type AzureRig,
} from './azure-rig.ts';

describe('Azure: a federated-credential mismatch (real gateway process)', () => {
  let rig: AzureRig;

  beforeAll(async () => {
    // The app trusts only the production environment; the job runs on main.
    rig = await startAzureRig({ subject: 'repo:octo-org/octo-repo:environment:production' });
    await rig.startGateway();
  });
  afterAll(() => rig?.close());

  it('the client gets 503 credential_unavailable with the AADSTS code and the fix, in the OpenAI shape', async () => {
    const res = await rig.chat('copilot');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(res.text) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'keyless_error', code: 'credential_unavailable' });
    expect(body.error.message).toContain('AADSTS700213');
    // The fix names what to register: the job's subject against this app.
    expect(body.error.message).toContain('no federated credential matches');
    expect(body.error.message).toContain(`subject ${SUBJECT}`);
    expect(body.error.message).toContain(CLIENT_ID);
    expect(rig.openai.count()).toBe(0);
  });

  it('the AzureOpenAI client surfaces that message', async () => {
    const error = await rig
      .azureClient('copilot')
      .chat.completions.create({ model: DEPLOYMENT, messages: MESSAGES })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(503);
    expect(apiError.message).toContain('AADSTS700213');
    rig.record(apiError.message);
  });

  it('the process keeps running: /health answers, /readyz is 503 with the last error, the log has the typed error', async () => {
    expect(rig.gateway.child.exitCode).toBeNull();
    const health = await rig.health('copilot');
    // api-proxy semantics: the sidecar's health check passes; the state says why not ready.
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      status: 'healthy',
      provider: 'azure',
      credential: 'failing',
    });

    const ready = await rig.readiness('copilot');
    expect(ready.status).toBe(503);
    expect(ready.entry).toMatchObject({
      provider: 'azure',
      auth: 'github-oidc',
      state: 'failing',
      ready: false,
    });
    expect(String(ready.entry!.lastError)).toContain('AADSTS700213');

    const failures = rig.events('credential.acquire_failed');
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
    rig.federatedCredentials.push({ tenantId: TENANT_ID, clientId: CLIENT_ID, subject: SUBJECT });
    const res = await rig.chat('copilot');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ choices: [{ message: { content: ANSWER } }] });
    expect(bearerOf(rig.openai.requests.at(-1)!)).toBe(rig.entra.issued[0]);
    await expect.poll(async () => (await rig.readiness('copilot')).status).toBe(200);
  });

  it('canary: no request token, GitHub token or Entra token in any output or response', async () => {
    expect(await rig.gateway.stop()).toBe(0);
    expect(rig.issuer.minted.length).toBeGreaterThanOrEqual(2);
    expect(rig.leaks()).toEqual([]);
  });
});

describe('Azure: short Entra lifetimes (real gateway process)', () => {
  /** `expires_in` Entra grants, seconds: refreshed at about half-life. */
  const LIFETIME_S = 4;
  /** MSAL rounds the expiry to whole seconds (`expiresOn`): the lifetime it reports is off by up to this, ms. */
  const EXPIRY_ROUNDING_MS = 500;
  /** Latest proactive refresh the engine may schedule after an exchange, ms: half-life. */
  const MAX_REFRESH_MS = (LIFETIME_S * 1000 + EXPIRY_ROUNDING_MS) / 2;
  /**
   * Earliest, ms: half-life less the engine's 10% jitter and the few ms the token spent in
   * transit. A refresh loop would schedule at the 1 s minimum interval or sooner.
   */
  const MIN_REFRESH_MS = ((LIFETIME_S * 1000 - EXPIRY_ROUNDING_MS) / 2) * 0.9 - 100;
  /** Exchanges to observe: the first plus this many proactive refreshes. */
  const REFRESHES = 3;
  let rig: AzureRig;

  beforeAll(async () => {
    rig = await startAzureRig({ expiresIn: LIFETIME_S });
    await rig.startGateway();
  });
  afterAll(() => rig?.close());

  it('requests keep succeeding across proactive refreshes, with no failed request and no refresh loop', async () => {
    const statuses: number[] = [];
    // A steady trickle of requests (every tenth one streaming) until the credential was refreshed REFRESHES times.
    for (let sent = 0; rig.entra.issued.length < REFRESHES + 1; sent++) {
      if (sent > 400)
        throw new Error(`only ${rig.entra.issued.length} Entra tokens after ${sent} requests`);
      const res = await rig.chat('copilot', sent % 10 === 9);
      statuses.push(res.status);
      await delay(50);
    }
    // One more request on the latest credential.
    const last = await rig.chat('copilot');
    statuses.push(last.status);

    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // The upstream never rejected a token: one upstream request per client request, no replay, no invalidation.
    expect(rig.openai.requests).toHaveLength(statuses.length);
    for (const request of rig.openai.requests)
      expect(rig.entra.issued).toContain(bearerOf(request));
    expect(rig.events('request', { replayed: true })).toEqual([]);
    // The loop stops on Entra's answer; the last refresh's log line may still be on its way.
    const exchangeLines = () =>
      rig.events('credential.acquired').length + rig.events('credential.refreshed').length;
    await expect.poll(exchangeLines).toBeGreaterThanOrEqual(REFRESHES + 1);
    const events = rig.gateway
      .logs()
      .filter((line) => String(line.event).startsWith('credential.'));
    expect(events.map((line) => line.event)).not.toContain('credential.invalidated');
    expect(events.map((line) => line.event)).not.toContain('credential.refresh_failed');
    expect(events.map((line) => line.event)).not.toContain('credential.acquire_failed');

    // Every Entra call issued a token (a refresh may be in flight: let it land), each with a freshly minted GitHub token.
    await expect.poll(() => rig.entra.count(TOKEN_PATH) - rig.entra.issued.length).toBe(0);
    const assertions = rig.entra.requests
      .filter((request) => pathOf(request.url) === TOKEN_PATH)
      .map((request) => new URLSearchParams(request.body.toString('utf8')).get('client_assertion'));
    expect(new Set(assertions).size).toBe(assertions.length);
    for (const assertion of assertions) expect(rig.issuer.minted).toContain(assertion);

    // Proactive refreshes (not demanded by a request), each scheduled at about half-life. The
    // schedule comes from the engine's own log (refreshInMs), not from wall-clock gaps, which a busy
    // machine can stretch or squeeze. Every Entra call is accounted for by one of these lines (the
    // latest line may still be on its way: compare both counts at the same instant).
    const successes = () =>
      rig.gateway
        .logs()
        .filter(
          (line) => line.event === 'credential.acquired' || line.event === 'credential.refreshed',
        );
    await expect.poll(() => rig.entra.count(TOKEN_PATH) - successes().length).toBe(0);
    const exchanges = successes();
    expect(exchanges.slice(1).map((line) => line.reason)).toEqual(
      Array(exchanges.length - 1).fill('refresh'),
    );
    for (const line of exchanges) {
      expect(line.refreshInMs).toBeGreaterThanOrEqual(MIN_REFRESH_MS);
      expect(line.refreshInMs).toBeLessThanOrEqual(MAX_REFRESH_MS);
    }
  });

  it('canary: no request token, GitHub token or Entra token in any output or response', async () => {
    expect(await rig.gateway.stop()).toBe(0);
    expect(rig.entra.issued.length).toBeGreaterThanOrEqual(REFRESHES + 1);
    expect(rig.leaks()).toEqual([]);
  });
});
