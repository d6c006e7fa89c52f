import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAiUpstream, type FakeUpstream } from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const OPENAI_KEY = 'sk-static-openai-policies-0123456789';
const BEDROCK_KEY = 'bedrock-static-policies-0123456789';

const chat = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

function post(gateway: GatewayProcess, route: string, path: string, body: string) {
  return fetch(`${gateway.url(route)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

interface OpenAiError {
  error: { message: string; type: string; code: string };
}

describe('request policies through the real process', () => {
  let upstream: FakeUpstream;
  const gateways: GatewayProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_API_TARGET: upstream.url,
      AWS_BEARER_TOKEN_BEDROCK: BEDROCK_KEY,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: upstream.url,
      ...env,
    });
    gateways.push(gateway);
    return gateway;
  };
  const seen = (path: string) => upstream.requests.filter((r) => r.url.startsWith(path));

  beforeAll(async () => {
    upstream = await startOpenAiUpstream();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await upstream?.close();
  });

  it('AWF_RATE_LIMIT_RPM=1: the second request gets 429 rate_limited with an honest Retry-After', async () => {
    const gateway = await start({ AWF_RATE_LIMIT_RPM: '1' });
    const before = upstream.requests.length;
    const first = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
    expect(first.status).toBe(200);
    await first.arrayBuffer();

    const second = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await second.json()) as OpenAiError;
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(
      /^AWF_RATE_LIMIT_RPM: route openai is at its limit of 1 requests per minute; retry in \d+ s$/,
    );
    expect(upstream.requests.length - before).toBe(1);

    const ready = (await (await fetch(`${gateway.managementUrl}/readyz`)).json()) as {
      policies: Array<{ policy: string; routes: Record<string, { requestsLastMinute: number }> }>;
    };
    expect(ready.policies).toEqual([
      expect.objectContaining({
        policy: 'rate-limit',
        routes: { openai: expect.objectContaining({ requestsLastMinute: 1 }) },
      }),
    ]);
    const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /keyless_policy_state\{policy="rate-limit",reading="requests_last_minute",route="openai"\} 1/,
    );
  });

  describe('model policy', () => {
    let gateway: GatewayProcess;
    beforeAll(async () => {
      gateway = await start({
        AWF_DISALLOWED_MODELS: '["*opus*"]',
        AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
      });
    });

    it('refuses a disallowed body model in the OpenAI shape, naming the setting', async () => {
      const before = seen('/v1/chat/completions').length;
      const res = await post(gateway, 'openai', '/v1/chat/completions', chat('claude-opus-4'));
      expect(res.status).toBe(400);
      const body = (await res.json()) as OpenAiError;
      expect(body.error).toMatchObject({ code: 'model_not_allowed', type: 'keyless_error' });
      expect(body.error.message).toBe(
        'AWF_DISALLOWED_MODELS: model "claude-opus-4" is not permitted: it matches the disallowed pattern "*opus*"',
      );
      expect(seen('/v1/chat/completions').length).toBe(before);
    });

    it('refuses a disallowed model in a Bedrock path in the Bedrock shape', async () => {
      const path = '/model/anthropic.claude-opus-4-v1%3A0/converse';
      const res = await post(gateway, 'bedrock', path, JSON.stringify({ messages: [] }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { message: string; code: string };
      expect(body.code).toBe('model_not_allowed');
      expect(body.message).toMatch(
        /^AWF_DISALLOWED_MODELS: model "anthropic.claude-opus-4-v1:0" is not permitted/,
      );
      expect(seen('/model/')).toEqual([]);
    });

    it('rewrites an alias in the body the upstream receives', async () => {
      const res = await post(
        gateway,
        'openai',
        '/v1/chat/completions',
        chat('fast', { temperature: 0 }),
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe('gpt-4o-mini');
      const received = JSON.parse(upstream.requests.at(-1)!.body.toString('utf8')) as Record<
        string,
        unknown
      >;
      expect(received).toEqual({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        temperature: 0,
      });
      expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(gateway.logs()).toContainEqual(
        expect.objectContaining({
          event: 'policy.model_alias',
          requested: 'fast',
          model: 'gpt-4o-mini',
        }),
      );
    });
  });

  it('AWF_MAX_EFFECTIVE_TOKENS: a streamed answer that spends the budget completes, then every request gets 429', async () => {
    // Each fake answer: about 20 prompt tokens x1 + 5 completion tokens x4, about 40 effective tokens.
    const gateway = await start({ AWF_MAX_EFFECTIVE_TOKENS: '100' });
    for (let i = 0; i < 2; i++) {
      const res = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const streamed = await post(
      gateway,
      'openai',
      '/v1/chat/completions',
      chat('gpt-4o', { stream: true, stream_options: { include_usage: true } }),
    );
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toContain('"usage"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const readyz = async () =>
      (await (await fetch(`${gateway.managementUrl}/readyz`)).json()) as {
        status: string;
        policies: Array<{ policy: string; exhausted: boolean; remainingEffectiveTokens: number }>;
      };
    await vi.waitFor(async () =>
      expect((await readyz()).policies[0]).toMatchObject({ exhausted: true }),
    );
    const ready = await readyz();
    expect(ready.status).toBe('ready');
    expect(ready.policies[0]).toMatchObject({
      policy: 'token-budget',
      remainingEffectiveTokens: 0,
    });

    const before = upstream.requests.length;
    const refused = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as OpenAiError;
    expect(body.error.code).toBe('budget_exhausted');
    expect(body.error.message).toMatch(
      /^AWF_MAX_EFFECTIVE_TOKENS: the budget of 100 effective tokens is spent/,
    );
    expect(upstream.requests.length).toBe(before);
    expect(gateway.logs().filter((line) => line.event === 'budget.exhausted')).toEqual([
      expect.objectContaining({ max: 100, route: 'openai', model: 'gpt-4o' }),
    ]);
    const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /keyless_policy_state\{policy="token-budget",reading="effective_tokens_remaining",route=""\} 0/,
    );
  });

  it('refuses a bad policy setting at startup, naming the variable', async () => {
    const { runGatewayToExit } = await import('../harness/gateway-process.ts');
    const result = await runGatewayToExit({
      OPENAI_API_KEY: OPENAI_KEY,
      AWF_ALLOWED_MODELS: 'claude-*',
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/AWF_ALLOWED_MODELS: is not valid JSON/);
  });
});
