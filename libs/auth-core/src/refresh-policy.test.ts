import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  DEFAULT_REFRESH_POLICY,
  backoffDelay,
  refreshDelay,
  usableUntil,
} from './refresh-policy.ts';

const S = 1000;
const MIN = 60 * S;

describe('refreshDelay', () => {
  it.each([
    // lifetime, random, expected delay: 75% when that is >= 60 s before expiry
    { lifetime: 60 * MIN, random: 0, delay: 45 * MIN },
    { lifetime: 15 * MIN, random: 0, delay: 11.25 * MIN },
    { lifetime: 5 * MIN, random: 0, delay: 225 * S },
    // never later than 60 s before expiry
    { lifetime: 4 * MIN, random: 0, delay: 180 * S },
    { lifetime: 200 * S, random: 0, delay: 140 * S },
    { lifetime: 120 * S, random: 0, delay: 60 * S },
    // half-life once the 60 s lead would leave less than half
    { lifetime: 100 * S, random: 0, delay: 50 * S },
    { lifetime: 10 * S, random: 0, delay: 5 * S },
    { lifetime: 3 * S, random: 0, delay: 1.5 * S },
    // never sooner than the minimum interval
    { lifetime: 1 * S, random: 0, delay: DEFAULT_MIN_REFRESH_INTERVAL_MS },
    { lifetime: 0, random: 0, delay: DEFAULT_MIN_REFRESH_INTERVAL_MS },
    { lifetime: -5 * S, random: 0, delay: DEFAULT_MIN_REFRESH_INTERVAL_MS },
    // jitter only makes it earlier, by up to 10%
    { lifetime: 60 * MIN, random: 0.5, delay: 45 * MIN * 0.95 },
    { lifetime: 200 * S, random: 1, delay: 140 * S * 0.9 },
    { lifetime: 10 * S, random: 1, delay: 4.5 * S },
  ])('lifetime $lifetime ms, random $random -> $delay ms', ({ lifetime, random, delay }) => {
    expect(refreshDelay(lifetime, random)).toBeCloseTo(delay, 6);
  });

  it('never exceeds lifetime - 60 s nor 75% for any jitter, for lifetimes >= 2 min', () => {
    for (let lifetime = 2 * MIN; lifetime <= 12 * 60 * MIN; lifetime += 7 * MIN + 13 * S) {
      for (const random of [0, 0.25, 0.5, 0.999]) {
        const delay = refreshDelay(lifetime, random);
        expect(delay).toBeLessThanOrEqual(lifetime - 60 * S);
        expect(delay).toBeLessThanOrEqual(lifetime * 0.75);
        expect(delay).toBeGreaterThanOrEqual(Math.min(lifetime * 0.75, lifetime - 60 * S) * 0.9);
      }
    }
  });

  it('honours a custom policy', () => {
    const policy = {
      ...DEFAULT_REFRESH_POLICY,
      refreshFraction: 0.5,
      minRefreshIntervalMs: 10 * S,
    };
    expect(refreshDelay(60 * MIN, 0, policy)).toBe(30 * MIN);
    expect(refreshDelay(2 * S, 0, policy)).toBe(10 * S);
  });
});

describe('backoffDelay', () => {
  it.each([
    { failures: 1, random: 0, delay: 1 * S },
    { failures: 2, random: 0, delay: 2 * S },
    { failures: 3, random: 0, delay: 4 * S },
    { failures: 5, random: 0, delay: 16 * S },
    { failures: 6, random: 0, delay: DEFAULT_BACKOFF_MAX_MS },
    { failures: 50, random: 0, delay: DEFAULT_BACKOFF_MAX_MS },
    { failures: 5000, random: 0, delay: DEFAULT_BACKOFF_MAX_MS },
    // jitter takes off up to 20%, but never below the minimum interval
    { failures: 3, random: 0.5, delay: 3.6 * S },
    { failures: 50, random: 1, delay: DEFAULT_BACKOFF_MAX_MS * 0.8 },
    { failures: 1, random: 1, delay: DEFAULT_MIN_REFRESH_INTERVAL_MS },
    { failures: 0, random: 0, delay: 1 * S },
  ])('failure $failures, random $random -> $delay ms', ({ failures, random, delay }) => {
    expect(backoffDelay(failures, random)).toBeCloseTo(delay, 6);
  });

  it('grows monotonically up to the cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, 0));
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? Infinity);
    }
    expect(Math.max(...delays)).toBe(DEFAULT_BACKOFF_MAX_MS);
  });
});

describe('usableUntil', () => {
  it.each([
    { acquiredAt: 0, expiresAt: 60 * MIN, until: 60 * MIN - 5 * S },
    // the margin is at most a tenth of the lifetime, so short credentials stay usable
    { acquiredAt: 1000, expiresAt: 3000, until: 2800 },
    { acquiredAt: 0, expiresAt: Infinity, until: Infinity },
  ])('$acquiredAt..$expiresAt -> $until', ({ acquiredAt, expiresAt, until }) => {
    expect(usableUntil(acquiredAt, expiresAt)).toBe(until);
  });
});
