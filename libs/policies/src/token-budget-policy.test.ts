import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { tokenBudgetPlugin } from './token-budget-policy.ts';
import { fakePolicyContext, policyRequest } from './testing/index.ts';

function budget(env: Record<string, string>) {
  const config = tokenBudgetPlugin.parseConfig(env);
  if (!config) throw new Error('no budget');
  const context = fakePolicyContext();
  return { policy: tokenBudgetPlugin.create(config, context), context };
}

const usage = (inputTokens: number, outputTokens: number, model?: string) => ({
  route: 'openai',
  ...(model ? { model } : {}),
  inputTokens,
  outputTokens,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

describe('token budget settings', () => {
  it('is off without AWF_MAX_EFFECTIVE_TOKENS', () => {
    expect(tokenBudgetPlugin.parseConfig({})).toBeUndefined();
    expect(
      tokenBudgetPlugin.parseConfig({ AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: '{"gpt-4o": 2}' }),
    ).toBeUndefined();
  });

  it.each([
    [{ AWF_MAX_EFFECTIVE_TOKENS: '-5' }, /^AWF_MAX_EFFECTIVE_TOKENS: must be a whole number/],
    [
      { AWF_MAX_EFFECTIVE_TOKENS: '10', AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: '[2]' },
      /^AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: must be a JSON object/,
    ],
    [
      { AWF_MAX_EFFECTIVE_TOKENS: '10', AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: '{"gpt-4o": 0}' },
      /the multiplier of "gpt-4o"/,
    ],
    [
      { AWF_MAX_EFFECTIVE_TOKENS: '10', AWF_EFFECTIVE_TOKEN_DEFAULT_MODEL_MULTIPLIER: 'x' },
      /^AWF_EFFECTIVE_TOKEN_DEFAULT_MODEL_MULTIPLIER: /,
    ],
  ])('refuses %o at startup', (env, message) => {
    expect(() => tokenBudgetPlugin.parseConfig(env)).toThrow(ConfigError);
    expect(() => tokenBudgetPlugin.parseConfig(env)).toThrow(message);
  });
});

describe('token budget', () => {
  it('lets requests through until the weighted usage reaches the budget, then refuses and logs once', () => {
    const { policy, context } = budget({ AWF_MAX_EFFECTIVE_TOKENS: '100' });
    expect(policy.check!(policyRequest())).toBeUndefined();
    policy.onUsage!(usage(20, 10)); // 20 + 40 = 60
    expect(policy.check!(policyRequest())).toBeUndefined();
    policy.onUsage!(usage(10, 10)); // 110: spent
    expect(policy.check!(policyRequest())).toEqual({
      refuse: 'budget_exhausted',
      message:
        'AWF_MAX_EFFECTIVE_TOKENS: the budget of 100 effective tokens is spent (110 used); no further model requests are sent',
    });
    policy.onUsage!(usage(1, 0)); // an answer still streaming when it ran out
    const exhausted = context.events.filter((e) => e.event === 'budget.exhausted');
    expect(exhausted).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ used: 110, max: 100 }),
      }),
    ]);
    expect(
      context.events.filter((e) => e.event === 'budget.threshold').map((e) => e.fields.percent),
    ).toEqual([80, 90, 95, 99]);
    expect(policy.state().summary).toEqual({
      maxEffectiveTokens: 100,
      usedEffectiveTokens: 100,
      remainingEffectiveTokens: 0,
      exhausted: true,
    });
  });

  it('weighs by the model multiplier, a dash-prefix entry, else the default', () => {
    const { policy } = budget({
      AWF_MAX_EFFECTIVE_TOKENS: '1000',
      AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: '{"claude-opus-4": 5}',
      AWF_EFFECTIVE_TOKEN_DEFAULT_MODEL_MULTIPLIER: '2',
    });
    policy.onUsage!(usage(10, 0, 'claude-opus-4-1')); // 50
    policy.onUsage!(usage(10, 0, 'claude-opus-4')); // 50
    policy.onUsage!(usage(10, 0)); // 20
    expect(policy.state().readings).toEqual([
      { reading: 'effective_tokens_max', value: 1000 },
      { reading: 'effective_tokens_used', value: 120 },
      { reading: 'effective_tokens_remaining', value: 880 },
    ]);
  });

  describe('streamed OpenAI completions report their usage', () => {
    const streamed = (path: string, json: Record<string, unknown>, websocket = false) =>
      policyRequest({ path, json: { model: 'gpt-4o', messages: [], ...json }, websocket });

    it.each([
      ['/v1/chat/completions', { stream: true }, { include_usage: true }],
      ['/v1/completions', { stream: true }, { include_usage: true }],
      [
        '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
        { stream: true, stream_options: { include_obfuscation: false } },
        { include_obfuscation: false, include_usage: true },
      ],
      [
        '/v1/chat/completions',
        { stream: true, stream_options: { include_usage: false } },
        { include_usage: true },
      ],
    ])('asks for usage on %s %o', (path, json, options) => {
      const { policy } = budget({ AWF_MAX_EFFECTIVE_TOKENS: '1000' });
      expect(policy.check!(streamed(path, json))).toEqual({ set: { stream_options: options } });
    });

    it.each([
      ['/v1/chat/completions', {}],
      ['/v1/chat/completions', { stream: true, stream_options: { include_usage: true } }],
      ['/v1/responses', { stream: true }],
      ['/v1/messages', { stream: true }],
    ])('leaves %s %o alone', (path, json) => {
      const { policy } = budget({ AWF_MAX_EFFECTIVE_TOKENS: '1000' });
      expect(policy.check!(streamed(path, json))).toBeUndefined();
    });
  });
});
