import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL, startAwsRig } from './aws-rig.ts';
import type { AwsRig } from './aws-rig.ts';

// STS sessions far shorter than the 900 s the plugin may request (the fake's duration override):
// the engine refreshes them proactively at half-life, so no request ever carries an expired key,
// and the minimum refresh interval keeps it from looping.

const ROLE_ARN = 'arn:aws-us-gov:iam::123456789012:role/ci/keyless-bedrock';
const REGION = 'us-gov-west-1';
const MODEL = 'amazon.nova-lite-v1:0';
/** STS session lifetime, s (whole seconds from the fake, so 3-4 s of actual lifetime). */
const SESSION_SECONDS = 4;
/** Proactive refreshes to observe. */
const REFRESHES = 3;
/** Pause between client requests, ms: steady traffic, not a flood. */
const REQUEST_PACING_MS = 50;
/** Gives up long before the test timeout if refreshes never come (about 12 s of traffic). */
const MAX_REQUESTS = 200;

describe('short STS sessions (GovCloud partition)', () => {
  let rig: AwsRig;
  const statuses: number[] = [];

  beforeAll(async () => {
    rig = await startAwsRig({
      role: { arn: ROLE_ARN },
      region: REGION,
      durationSeconds: SESSION_SECONDS,
    });
    await rig.startGateway({
      // The SDK-standard variable, as the fallback for AWF_AUTH_AWS_REGION.
      AWF_AUTH_AWS_REGION: undefined,
      AWS_REGION: REGION,
      AWF_AUTH_AWS_SESSION_DURATION: '900',
      GITHUB_RUN_ID: '9001',
      GITHUB_RUN_ATTEMPT: '1',
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('serves steady traffic across several refreshes without a failed request', async () => {
    // Traffic runs until the engine has refreshed the credential REFRESHES times on its own.
    const { sts, bedrock } = rig;
    while (sts.issued.length < 1 + REFRESHES && statuses.length < MAX_REQUESTS) {
      const res = await rig.converse(MODEL, { content: `ping ${statuses.length}` });
      statuses.push(res.status);
      await sleep(REQUEST_PACING_MS);
    }

    expect(sts.issued.length).toBeGreaterThanOrEqual(1 + REFRESHES);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // Bedrock never saw an expired (or otherwise invalid) signature, so nothing had to be replayed.
    expect(bedrock.rejections).toEqual([]);
    expect(rig.events('request').filter((line) => line.replayed === true)).toEqual([]);
    // The refreshed keys were really used, each one signing in the GovCloud region.
    const keysUsed = new Set(bedrock.calls.map((call) => call.accessKeyId));
    expect(keysUsed.size).toBeGreaterThanOrEqual(REFRESHES);
    for (const request of bedrock.requests) {
      expect(request.headers.authorization).toMatch(
        new RegExp(`/${REGION}/bedrock/aws4_request, `),
      );
    }
    // The plugin asked for what it was configured to, the fake shortened it.
    expect(
      sts.calls.every((call) => call.durationSeconds === 900 && call.outcome === 'issued'),
    ).toBe(true);
    expect(sts.calls[0]?.roleSessionName).toBe('keyless-9001-1');
  });

  it('refreshes on schedule: proactive, at least the minimum interval apart, never in a loop', async () => {
    const { sts } = rig;
    // The traffic loop stops on the STS answer; the refresh's log line may still be on its way.
    await expect
      .poll(() => rig.events('credential.refreshed').length, POLL)
      .toBeGreaterThanOrEqual(REFRESHES);
    const events = rig.events(/^credential\./);
    const refreshed = events.filter((line) => line.event === 'credential.refreshed');
    expect(events.filter((line) => line.event === 'credential.acquired')).toHaveLength(1);
    expect(refreshed.length).toBeGreaterThanOrEqual(REFRESHES);
    for (const line of refreshed) {
      expect(line.reason).toBe('refresh');
      // Half-life of a 3-4 s session, never below the 1 s minimum interval (rounded to whole s).
      expect(line.refreshInSeconds).toBeGreaterThanOrEqual(1);
      expect(line.refreshInSeconds).toBeLessThanOrEqual(SESSION_SECONDS);
    }
    expect(
      events.filter((line) => /failed|invalidated|unavailable|rejected/.test(String(line.event))),
    ).toEqual([]);
    // Every STS call is one of the logged exchanges: none outside the schedule. Polled, because a
    // refresh may be between its STS answer and its log line right now.
    const exchangesLogged = () => rig.events(/^credential\.(acquired|refreshed)$/).length;
    await expect.poll(() => sts.calls.length - exchangesLogged(), POLL).toBe(0);
    // Each credential served many requests (a refresh per request would make this ratio 1).
    expect(statuses.length).toBeGreaterThanOrEqual(2 * sts.calls.length);
    // A missing sample fails here: the matcher takes numbers only.
    expect(
      await rig.metric('keyless_credential_expiry_seconds', { route: 'bedrock', provider: 'aws' }),
    ).toBeLessThanOrEqual(SESSION_SECONDS);
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'aws',
        result: 'failure',
      }),
    ).toBeUndefined();
  });

  it('no AWS secret, session token or GitHub token appears in any output', async () => {
    await rig.gateway.stop();
    expect(rig.leaks()).toEqual([]);
  });
});
