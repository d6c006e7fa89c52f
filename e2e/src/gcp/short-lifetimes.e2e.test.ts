import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-server.ts';
import { startGcpSts, type GcpSts } from '../fakes/gcp-sts.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startGoogleUpstream } from '../fakes/google.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';
const SERVICE_ACCOUNT = 'keyless-agent@octo-project.iam.gserviceaccount.com';
const GEMINI =
  '/v1/projects/octo-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent';
/** Granted lifetime, seconds: GitHub's 300 s scaled down so that several refreshes fit in a test. */
const SHORT_LIFETIME_S = 6;
/** Exchanges to observe: the first plus three proactive refreshes. */
const EXCHANGES = 4;
/**
 * Lower bound on the gap between exchanges, ms. A ~5-6 s credential refreshes at
 * half-life minus at most 10 % jitter (>= 2.25 s); measured at the fake, with hop
 * latency on both ends, so kept loose. A refresh loop would show gaps of a few ms.
 */
const MIN_GAP_MS = 1_500;

function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}

const CASES = [
  {
    // The 5-minute case: STS caps a federated token to the subject (GitHub) token's remaining lifetime.
    mode: 'direct federation inheriting a short GitHub token lifetime',
    issuerLifetime: SHORT_LIFETIME_S,
    env: {},
    impersonating: false,
    tokens: (sts: GcpSts) => sts.federated,
  },
  {
    mode: 'impersonation with AWF_AUTH_GCP_TOKEN_LIFETIME',
    issuerLifetime: 300,
    env: {
      AWF_AUTH_GCP_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
      AWF_AUTH_GCP_TOKEN_LIFETIME: String(SHORT_LIFETIME_S),
    },
    impersonating: true,
    tokens: (sts: GcpSts) => sts.impersonated,
  },
] as const;

describe.each(CASES)(
  'GCP short lifetimes: $mode (real gateway process)',
  ({ issuerLifetime, env, impersonating, tokens }) => {
    let issuer: GithubOidcIssuer;
    let sts: GcpSts;
    let google: FakeUpstream;
    let gateway: GatewayProcess;
    /** Upstream requests refused because their token had expired (or was unknown). */
    let refused = 0;
    const responses: string[] = [];

    beforeAll(async () => {
      issuer = await startGithubOidcIssuer({ lifetimeSeconds: issuerLifetime });
      // STS would grant an hour: any shorter lifetime comes from the GitHub token or the requested impersonation lifetime.
      sts = await startGcpSts({
        issuer,
        audience: PROVIDER,
        serviceAccounts: [SERVICE_ACCOUNT],
        expiresIn: 3600,
      });
      google = await startGoogleUpstream({
        authorize: (request) => {
          const token = bearerOf(request);
          const ok = token !== undefined && sts.accepts(token);
          if (!ok) refused += 1;
          return ok;
        },
      });
      gateway = await startGatewayProcess({
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'gcp',
        AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
        AWF_AUTH_GCP_TOKEN_URL: sts.tokenUrl,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: sts.iamCredentialsUrl,
        ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
        VERTEX_API_TARGET: google.url,
        ...env,
      });
    });
    afterAll(async () => {
      await gateway?.stop();
      await Promise.all([google?.close(), sts?.close(), issuer?.close()]);
    });

    it('the credential lives only as long as granted, and its refresh is scheduled at about half-life', async () => {
      await expect
        .poll(() => gateway.logs().some((line) => line.event === 'credential.acquired'), {
          timeout: 10_000,
        })
        .toBe(true);
      const acquired = gateway.logs().find((line) => line.event === 'credential.acquired')!;
      expect(acquired.remainingSeconds).toBeLessThanOrEqual(SHORT_LIFETIME_S);
      expect(acquired.remainingSeconds).toBeGreaterThan(0);
      expect(acquired.refreshInSeconds).toBeLessThanOrEqual(SHORT_LIFETIME_S / 2);
      expect(acquired.refreshInSeconds).toBeGreaterThanOrEqual(1);
      const ready = (await (await fetch(`${gateway.managementUrl}/readyz`)).json()) as {
        routes: Array<{ route: string; secondsToExpiry: number | null }>;
      };
      expect(
        ready.routes.find((route) => route.route === 'vertex')!.secondsToExpiry,
      ).toBeLessThanOrEqual(SHORT_LIFETIME_S);
    });

    it('refreshes proactively under steady traffic: no failed request, no replay, no refresh loop', async () => {
      const statuses: number[] = [];
      // Steady traffic until several lifetimes have passed; the deadline only guards a broken refresh.
      const deadline = Date.now() + 40_000;
      while (tokens(sts).length < EXCHANGES && Date.now() < deadline) {
        const res = await fetch(`${gateway.url('vertex')}${GEMINI}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
        });
        responses.push(await res.text());
        statuses.push(res.status);
        await sleep(100);
      }
      expect(tokens(sts).length).toBeGreaterThanOrEqual(EXCHANGES);
      expect(statuses.length).toBeGreaterThan(EXCHANGES);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(refused).toBe(0);

      // Several distinct tokens reached the upstream: traffic rode across refreshes.
      const used = new Set(google.requests.map(bearerOf));
      expect(used.size).toBeGreaterThanOrEqual(EXCHANGES - 1);
      for (const token of used) expect(tokens(sts)).toContain(token);

      // The fakes answer before the gateway's log line is written: let the log catch up.
      const refreshedLines = () =>
        gateway.logs().filter((line) => line.event === 'credential.refreshed');
      await expect
        .poll(() => refreshedLines().length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(EXCHANGES - 1);
      const logs = gateway.logs();
      expect(logs.filter((line) => line.event === 'request' && line.replayed !== false)).toEqual(
        [],
      );
      expect(logs.filter((line) => String(line.event).endsWith('_failed'))).toEqual([]);
      // Proactive: every refresh was scheduled, none forced by an expired credential or a rejection.
      expect(refreshedLines().map((line) => line.reason)).toEqual(
        refreshedLines().map(() => 'refresh'),
      );

      // No loop: exchanges are spaced by about half a lifetime ...
      const exchanges = sts.requests.filter((r) => r.url === '/v1/token');
      for (let i = 1; i < exchanges.length; i += 1) {
        expect(exchanges[i]!.at - exchanges[i - 1]!.at).toBeGreaterThanOrEqual(MIN_GAP_MS);
      }
      // ... each with a fresh GitHub token ...
      const subjects = exchanges.map((r) =>
        new URLSearchParams(r.body.toString('utf8')).get('subject_token'),
      );
      expect(new Set(subjects).size).toBe(subjects.length);
      for (const subject of subjects) expect(issuer.minted).toContain(subject);
      // ... and, when impersonating, exactly one IAM call per STS token: no hidden SDK refresh.
      const iamBearers = sts.requests
        .filter((r) => r.url.endsWith(':generateAccessToken'))
        .map(bearerOf);
      if (impersonating) {
        expect(new Set(iamBearers).size).toBe(iamBearers.length);
        for (const bearer of iamBearers) expect(sts.federated).toContain(bearer);
        // An exchange may be between its two hops right now.
        expect(sts.federated.length - iamBearers.length).toBeLessThanOrEqual(1);
      } else {
        expect(iamBearers).toEqual([]);
      }
    }, 60_000);

    it('canary: no request token, GitHub token or issued access token in any output or response', async () => {
      expect(await gateway.stop()).toBe(0);
      expect(sts.issued.length).toBeGreaterThan(0);
      const leaks = findLeaks({ output: gateway.output(), responses: responses.join('\n') }, [
        issuer.requestToken,
        ...issuer.minted,
        ...sts.issued,
      ]);
      expect(leaks).toEqual([]);
    });
  },
);
