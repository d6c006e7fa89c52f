import { describe, expect, it, vi } from 'vitest';
import { modelPolicyPlugin } from './model-policy.ts';
import type { PolicyPlugin, PolicyRequest } from './policy.ts';
import { configurePolicies, PolicySet } from './policy-set.ts';
import { rateLimitPlugin } from './rate-limit-policy.ts';
import { fakePolicyContext } from './testing/index.ts';
import { tokenBudgetPlugin } from './token-budget-policy.ts';

const PLUGINS = [modelPolicyPlugin, tokenBudgetPlugin, rateLimitPlugin];
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const chat = (model: string) => ({
  route: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  body: json({ model, messages: [] }),
  websocket: false,
});

function policies(env: Record<string, string>) {
  return new PolicySet(configurePolicies(env, PLUGINS), fakePolicyContext());
}

describe('configurePolicies', () => {
  it('keeps only the policies the settings switch on, in registration order', () => {
    const env = { AWF_RATE_LIMIT_RPM: '5', AWF_ALLOWED_MODELS: '["gpt-*"]' };
    expect(configurePolicies(env, PLUGINS).map((p) => p.plugin.name)).toEqual([
      'model-policy',
      'rate-limit',
    ]);
    expect(configurePolicies({}, PLUGINS)).toEqual([]);
  });
});

describe('PolicySet', () => {
  it('does nothing without policies', () => {
    expect(policies({}).check(chat('gpt-4o'))).toBeUndefined();
    expect(policies({}).report()).toEqual([]);
  });

  it('rewrites the body model and lets later policies see the model sent', () => {
    const set = policies({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
      AWF_RATE_LIMIT_RPM: '1',
    });
    const verdict = set.check(chat('fast'));
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
    });
    // The rewritten request counted against the rate; the next one is refused before any rewrite.
    expect(set.check(chat('fast'))).toMatchObject({ refuse: 'rate_limited' });
  });

  it('stops at the first refusal: a refused model never counts against the rate', () => {
    const set = policies({ AWF_DISALLOWED_MODELS: '["*opus*"]', AWF_RATE_LIMIT_RPM: '1' });
    expect(set.check(chat('claude-opus-4'))).toMatchObject({ refuse: 'model_not_allowed' });
    expect(set.check(chat('gpt-4o'))).toBeUndefined();
  });

  it('never parses the body when no policy asks for the model', () => {
    const seen: string[] = [];
    const probe: PolicyPlugin<true> = {
      name: 'probe',
      settings: [],
      parseConfig: () => true,
      create: () => ({
        name: 'probe',
        check: (request: PolicyRequest) => void seen.push(`${request.route} ${request.bodyBytes}`),
        state: () => ({ summary: {}, readings: [] }),
      }),
    };
    const set = new PolicySet(configurePolicies({}, [probe]), fakePolicyContext());
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(set.check(chat('x'))).toBeUndefined();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(seen).toEqual([`openai ${chat('x').body.length}`]);
  });

  it('feeds usage to the budget with the model of the request as sent, and reports state', () => {
    const set = policies({
      AWF_MAX_EFFECTIVE_TOKENS: '10',
      AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: '{"gpt-4o": 2}',
    });
    set.recordUsage({
      route: 'openai',
      model: 'gpt-4o',
      inputTokens: 5,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(set.check(chat('gpt-4o'))).toMatchObject({ refuse: 'budget_exhausted' });
    expect(set.report()).toEqual([
      {
        policy: 'token-budget',
        maxEffectiveTokens: 10,
        usedEffectiveTokens: 10,
        remainingEffectiveTokens: 0,
        exhausted: true,
      },
    ]);
    expect(set.readings()).toContainEqual({
      policy: 'token-budget',
      reading: 'effective_tokens_remaining',
      value: 0,
    });
  });
});
