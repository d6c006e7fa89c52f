import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineRig } from './engine-rig.ts';
import type { EngineRig } from './engine-rig.ts';

/** Access token lifetime, s: short lifetimes refresh at half-life (about 2 s here). */
const LIFETIME_S = 4;
/** Latest proactive refresh after an exchange, ms: half-life. */
const MAX_REFRESH_MS = (LIFETIME_S * 1000) / 2;
/**
 * Earliest proactive refresh, ms: half-life minus the engine's 10% jitter, less
 * the few ms the token spent in transit before the engine received it.
 */
const MIN_REFRESH_MS = MAX_REFRESH_MS * 0.9 - 100;
/** Exchanges to observe: the first acquisition and then proactive refreshes. */
const EXCHANGES = 5;
/** Pause between the trickle's requests, ms. */
const TRICKLE_GAP_MS = 100;
/** Gives up on the trickle after this long, ms, so that a stalled engine fails instead of hanging. */
const TRICKLE_BOUND_MS = 25_000;

describe('credential engine through the gateway: refresh with short lifetimes', () => {
  let rig: EngineRig;
  const statuses: number[] = [];

  beforeAll(async () => {
    rig = await startEngineRig({ expiresIn: LIFETIME_S });
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('a steady trickle of requests never fails while the credential is refreshed ahead of expiry', async () => {
    const started = Date.now();
    while (rig.service.issued.length < EXCHANGES && Date.now() - started < TRICKLE_BOUND_MS) {
      statuses.push((await rig.chat()).status);
      await sleep(TRICKLE_GAP_MS);
    }

    expect(rig.service.issued.length).toBeGreaterThanOrEqual(EXCHANGES);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // The upstream refused nothing: every request carried a live token.
    expect(rig.upstream.requests).toHaveLength(statuses.length);
    const tokens = new Set(rig.upstream.requests.map((request) => request.headers.authorization));
    expect(tokens.size).toBeGreaterThanOrEqual(EXCHANGES - 2);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      0,
    );
  });

  it('the refreshes were proactive, each with a fresh GitHub token, and none failed', async () => {
    // The last exchange's log line may still be on its way.
    await expect
      .poll(() => rig.events('credential.refreshed').length)
      .toBeGreaterThanOrEqual(EXCHANGES - 1);
    for (const line of rig.events('credential.refreshed')) expect(line.reason).toBe('refresh');
    expect(rig.events('credential.acquired')).toHaveLength(1);
    expect(rig.events('credential.refresh_failed')).toEqual([]);
    expect(rig.events('credential.acquire_failed')).toEqual([]);
    expect(rig.events('credential.invalidated')).toEqual([]);
    expect(new Set(rig.issuer.minted).size).toBe(rig.issuer.minted.length);
    expect(rig.issuer.minted).toHaveLength(rig.service.count('/token'));
  });

  it('every exchange is the one the previous acquisition scheduled: no refresh loop', async () => {
    // The schedule comes from the engine's own log (refreshInMs), not from wall-clock gaps, which a
    // busy machine can stretch or squeeze. A loop would show an exchange that no success line
    // accounts for, a reason other than the scheduled refresh, or a schedule under half-life.
    const successes = () => [
      ...rig.events('credential.acquired'),
      ...rig.events('credential.refreshed'),
    ];
    // The latest exchange's line may still be on its way: compare both counts at the same instant.
    await expect.poll(() => rig.service.count('/token') - successes().length).toBe(0);
    expect(rig.events('credential.acquired').map((line) => line.reason)).toEqual(['initial']);
    for (const line of rig.events('credential.refreshed')) expect(line.reason).toBe('refresh');
    for (const line of successes()) {
      expect(line.refreshInMs).toBeGreaterThanOrEqual(MIN_REFRESH_MS);
      expect(line.refreshInMs).toBeLessThanOrEqual(MAX_REFRESH_MS);
    }
  });

  it('/readyz and /metrics report the short-lived credential as ready', async () => {
    const { status, route } = await rig.readiness();
    expect(status).toBe(200);
    expect(route).toMatchObject({ provider: 'test', ready: true, lastError: null });
    expect(['ready', 'refreshing']).toContain(route.state);
    expect(route.secondsToExpiry).toBeLessThanOrEqual(LIFETIME_S);
    const expiry = await rig.metric('keyless_credential_expiry_seconds', {
      route: 'openai',
      provider: 'test',
    });
    expect(expiry).toBeGreaterThan(0);
    expect(expiry).toBeLessThanOrEqual(LIFETIME_S);
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'test',
        result: 'success',
      }),
    ).toBeGreaterThanOrEqual(EXCHANGES);
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'test',
        result: 'failure',
      }),
    ).toBe(0);
  });

  it('canary: no request token, GitHub token or access token in the output or any response', async () => {
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.leaks()).toEqual([]);
    expect(rig.secrets().length).toBeGreaterThanOrEqual(1 + 2 * EXCHANGES);
  });
});
