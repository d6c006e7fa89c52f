import { bearerOf } from '@keyless/fakes';
import type { GcpSts } from '@keyless/fakes';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GEMINI_BODY,
  GEMINI_GENERATE_PATH,
  SERVICE_ACCOUNT,
  startGcpRig,
  type GcpRig,
} from './gcp-rig.ts';

/** Granted lifetime, seconds: GitHub's 300 s scaled down so that several refreshes fit in a test. */
const SHORT_LIFETIME_S = 6;
/** Exchanges to observe: the first plus three proactive refreshes. */
const EXCHANGES = 4;
/** Latest proactive refresh the engine may schedule after an exchange, ms: half the granted lifetime. */
const MAX_REFRESH_MS = (SHORT_LIFETIME_S * 1000) / 2;
/**
 * Earliest, ms: half of a lifetime that lost up to 1.5 s to whole-second expiry
 * times and transit, less the engine's 10 % jitter. A refresh loop would
 * schedule at the 1 s minimum interval or sooner.
 */
const MIN_REFRESH_MS = ((SHORT_LIFETIME_S - 1.5) * 1000 * 0.9) / 2;

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
    let rig: GcpRig;

    beforeAll(async () => {
      rig = await startGcpRig({
        issuer: { lifetimeSeconds: issuerLifetime },
        // STS would grant an hour: any shorter lifetime comes from the GitHub token or the requested impersonation lifetime.
        sts: { serviceAccounts: [SERVICE_ACCOUNT], expiresIn: 3600 },
      });
      await rig.startGateway(env);
    });
    afterAll(async () => {
      await rig?.close();
    });

    it('the credential lives only as long as granted, and its refresh is scheduled at about half-life', async () => {
      const [acquired] = await rig.waitForEvents('credential.acquired');
      expect(acquired!.remainingSeconds).toBeLessThanOrEqual(SHORT_LIFETIME_S);
      expect(acquired!.remainingSeconds).toBeGreaterThan(0);
      expect(acquired!.refreshInSeconds).toBeLessThanOrEqual(SHORT_LIFETIME_S / 2);
      expect(acquired!.refreshInSeconds).toBeGreaterThanOrEqual(1);
      expect((await rig.readiness('vertex')).route.secondsToExpiry).toBeLessThanOrEqual(
        SHORT_LIFETIME_S,
      );
    });

    it('refreshes proactively under steady traffic: no failed request, no replay, no refresh loop', async () => {
      const { issuer, sts, google } = rig;
      const statuses: number[] = [];
      // Steady traffic until several lifetimes have passed; the deadline only guards a broken refresh.
      const deadline = Date.now() + 40_000;
      while (tokens(sts).length < EXCHANGES && Date.now() < deadline) {
        statuses.push((await rig.post('vertex', GEMINI_GENERATE_PATH, GEMINI_BODY)).status);
        await sleep(100);
      }
      expect(tokens(sts).length).toBeGreaterThanOrEqual(EXCHANGES);
      expect(statuses.length).toBeGreaterThan(EXCHANGES);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(rig.refused).toBe(0);

      // Several distinct tokens reached the upstream: traffic rode across refreshes.
      const used = new Set(google.requests.map(bearerOf));
      expect(used.size).toBeGreaterThanOrEqual(EXCHANGES - 1);
      for (const token of used) expect(tokens(sts)).toContain(token);

      // The log lines come after the answers they describe: let the log catch up.
      await rig.waitForEvents('credential.refreshed', EXCHANGES - 1);
      expect(rig.events('request', (line) => line.replayed !== false)).toEqual([]);
      expect(rig.gateway.logs().filter((line) => String(line.event).endsWith('_failed'))).toEqual(
        [],
      );
      // Proactive: every refresh was scheduled, none forced by an expired credential or a rejection.
      const refreshed = rig.events('credential.refreshed');
      expect(refreshed.map((line) => line.reason)).toEqual(refreshed.map(() => 'refresh'));

      // No loop: every exchange is one the previous acquisition scheduled at about half-life. The
      // schedule comes from the engine's own log (refreshInMs), not from wall-clock gaps, which a
      // busy machine can stretch or squeeze. The latest exchange's line may still be on its way:
      // compare both counts at the same instant.
      const stsExchanges = () => sts.requests.filter((r) => r.url === '/v1/token');
      const successes = () => [
        ...rig.events('credential.acquired'),
        ...rig.events('credential.refreshed'),
      ];
      await expect.poll(() => stsExchanges().length - successes().length).toBe(0);
      for (const line of successes()) {
        expect(line.refreshInMs).toBeGreaterThanOrEqual(MIN_REFRESH_MS);
        expect(line.refreshInMs).toBeLessThanOrEqual(MAX_REFRESH_MS);
      }
      const exchanges = stsExchanges();
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
      expect(await rig.gateway.stop()).toBe(0);
      expect(rig.sts.issued.length).toBeGreaterThan(0);
      expect(rig.leaks()).toEqual([]);
    });
  },
);
