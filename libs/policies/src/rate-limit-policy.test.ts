import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import type { PolicyVerdict } from './policy.ts';
import {
  DEFAULT_RATE_LIMIT_BYTES_PM,
  DEFAULT_RATE_LIMIT_RPH,
  DEFAULT_RATE_LIMIT_RPM,
  rateLimitPlugin,
} from './rate-limit-policy.ts';
import { fakePolicyContext, policyRequest } from './testing/index.ts';

function limiter(env: Record<string, string>) {
  const config = rateLimitPlugin.parseConfig(env);
  if (!config) throw new Error('rate limits are off');
  const context = fakePolicyContext(Date.UTC(2025, 0, 1, 12, 0, 0));
  return { policy: rateLimitPlugin.create(config, context), context };
}

const refusal = (verdict: PolicyVerdict | undefined) =>
  verdict && 'refuse' in verdict ? verdict : undefined;

describe('rate-limit settings', () => {
  it('is off unless enabled or a limit is set, and `false` wins', () => {
    expect(rateLimitPlugin.parseConfig({})).toBeUndefined();
    expect(
      rateLimitPlugin.parseConfig({ AWF_RATE_LIMIT_ENABLED: 'false', AWF_RATE_LIMIT_RPM: '5' }),
    ).toBeUndefined();
    expect(rateLimitPlugin.parseConfig({ AWF_RATE_LIMIT_RPM: '5' })).toEqual({
      rpm: 5,
      rph: DEFAULT_RATE_LIMIT_RPH,
      bytesPerMinute: DEFAULT_RATE_LIMIT_BYTES_PM,
    });
    expect(rateLimitPlugin.parseConfig({ AWF_RATE_LIMIT_ENABLED: 'true' })).toEqual({
      rpm: DEFAULT_RATE_LIMIT_RPM,
      rph: DEFAULT_RATE_LIMIT_RPH,
      bytesPerMinute: DEFAULT_RATE_LIMIT_BYTES_PM,
    });
  });

  it.each([
    [{ AWF_RATE_LIMIT_RPM: '0' }, /^AWF_RATE_LIMIT_RPM: must be a whole number/],
    [{ AWF_RATE_LIMIT_RPH: '1.5' }, /^AWF_RATE_LIMIT_RPH: /],
    [{ AWF_RATE_LIMIT_BYTES_PM: '10MB' }, /^AWF_RATE_LIMIT_BYTES_PM: /],
    [{ AWF_RATE_LIMIT_ENABLED: 'maybe' }, /^AWF_RATE_LIMIT_ENABLED: must be true or false/],
  ])('refuses %o at startup', (env, message) => {
    expect(() => rateLimitPlugin.parseConfig(env)).toThrow(ConfigError);
    expect(() => rateLimitPlugin.parseConfig(env)).toThrow(message);
  });
});

describe('rate-limit policy', () => {
  it('refuses the request past the RPM with an honest Retry-After, then lets one through', () => {
    const { policy, context } = limiter({ AWF_RATE_LIMIT_RPM: '2' });
    expect(policy.check!(policyRequest())).toBeUndefined();
    context.advance(10_000);
    expect(policy.check!(policyRequest())).toBeUndefined();
    context.advance(5_000);
    const refused = refusal(policy.check!(policyRequest()));
    expect(refused).toMatchObject({ refuse: 'rate_limited', retryAfterSeconds: 45 });
    // The api-proxy's X-RateLimit-* figures: it is 12:00:15; the request passes at 12:01:00.
    expect(refused!.rateLimit).toEqual({
      limit: 2,
      remaining: 0,
      resetAt: Date.UTC(2025, 0, 1, 12, 1, 0) / 1000,
    });
    expect(refused!.message).toMatch(
      /^AWF_RATE_LIMIT_RPM: route openai is at its limit of 2 requests per minute; retry in 45 s$/,
    );

    context.advance(44_000);
    expect(refusal(policy.check!(policyRequest()))?.retryAfterSeconds).toBe(1);
    context.advance(1_000);
    expect(policy.check!(policyRequest())).toBeUndefined();
  });

  it('counts each route on its own and never counts a refused request', () => {
    const { policy, context } = limiter({ AWF_RATE_LIMIT_RPM: '1' });
    expect(policy.check!(policyRequest())).toBeUndefined();
    expect(policy.check!(policyRequest({ route: 'anthropic' }))).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(refusal(policy.check!(policyRequest()))).toBeDefined();
    context.advance(60_000);
    expect(policy.check!(policyRequest())).toBeUndefined();
    expect(policy.state().summary).toMatchObject({
      routes: { openai: { requestsLastMinute: 1, requestsLastHour: 2 } },
    });
  });

  it('applies the hourly limit with minute slots', () => {
    const { policy, context } = limiter({ AWF_RATE_LIMIT_RPH: '2' });
    expect(policy.check!(policyRequest())).toBeUndefined();
    context.advance(120_000);
    expect(policy.check!(policyRequest())).toBeUndefined();
    context.advance(60_000);
    const refused = refusal(policy.check!(policyRequest()));
    expect(refused?.message).toMatch(/^AWF_RATE_LIMIT_RPH: /);
    // The first request (12:00) leaves the window at 13:00; it is 12:03 now.
    expect(refused?.retryAfterSeconds).toBe(57 * 60);
  });

  it('limits body bytes per minute and refuses a body that could never fit', () => {
    const { policy, context } = limiter({ AWF_RATE_LIMIT_BYTES_PM: '1000' });
    expect(policy.check!(policyRequest({ bodyBytes: 600 }))).toBeUndefined();
    context.advance(30_000);
    const refused = refusal(policy.check!(policyRequest({ bodyBytes: 600 })));
    expect(refused).toMatchObject({ refuse: 'rate_limited', retryAfterSeconds: 30 });
    expect(refused!.rateLimit).toMatchObject({ limit: 1000, remaining: 400 });
    expect(policy.check!(policyRequest({ bodyBytes: 400 }))).toBeUndefined();
    const tooLarge = refusal(policy.check!(policyRequest({ bodyBytes: 1001 })));
    expect(tooLarge).toMatchObject({ refuse: 'payload_too_large' });
    expect(tooLarge?.retryAfterSeconds).toBeUndefined();
    expect(tooLarge?.rateLimit).toBeUndefined();
  });

  it('reports the current rate per route as readings', () => {
    const { policy } = limiter({ AWF_RATE_LIMIT_ENABLED: 'true' });
    policy.check!(policyRequest({ bodyBytes: 42 }));
    expect(policy.state().readings).toEqual([
      { reading: 'requests_last_minute', route: 'openai', value: 1 },
      { reading: 'requests_last_hour', route: 'openai', value: 1 },
      { reading: 'bytes_last_minute', route: 'openai', value: 42 },
    ]);
  });
});
