import { configurePolicies, PolicySet } from '@keyless/policies';
import { fakePolicyContext } from '@keyless/policies/testing';
import { describe, expect, it } from 'vitest';
import { POLICY_PLUGINS } from '../policy-plugins.ts';
import type { ProxiedRequest } from '../proxy/request-hooks.ts';
import { createPolicyHook } from './policy-hook.ts';

function hook(env: Record<string, string>) {
  return createPolicyHook(
    new PolicySet(configurePolicies(env, POLICY_PLUGINS), fakePolicyContext()),
  );
}

const request = (model: string, overrides: Partial<ProxiedRequest> = {}): ProxiedRequest => ({
  route: 'openai',
  flavor: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { authorization: 'Bearer client-side' },
  body: Buffer.from(JSON.stringify({ model, messages: [] })),
  websocket: false,
  startedAt: 0,
  ...overrides,
});

describe('createPolicyHook', () => {
  it('passes everything without policies', () => {
    expect(hook({}).beforeSend!(request('gpt-4o'))).toBeUndefined();
  });

  it('turns a rate refusal into the gateway code with a Retry-After header', () => {
    const policies = hook({ AWF_RATE_LIMIT_RPM: '1' });
    expect(policies.beforeSend!(request('gpt-4o'))).toBeUndefined();
    expect(policies.beforeSend!(request('gpt-4o'))).toEqual({
      refuse: 'rate_limited',
      message: expect.stringMatching(/^AWF_RATE_LIMIT_RPM: /),
      headers: { 'retry-after': '60' },
    });
  });

  it('refuses a path model without a Retry-After', () => {
    const verdict = hook({ AWF_DISALLOWED_MODELS: '["*opus*"]' }).beforeSend!(
      request('', {
        route: 'bedrock',
        flavor: 'bedrock',
        path: '/model/anthropic.claude-opus-4-v1:0/converse',
      }),
    );
    expect(verdict).toEqual({
      refuse: 'model_not_allowed',
      message: expect.stringMatching(/^AWF_DISALLOWED_MODELS: /),
    });
  });

  it('hands the rewritten body to the pipeline', () => {
    const verdict = hook({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    }).beforeSend!(request('fast'));
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
    });
  });

  it('feeds reported usage from the usage accounting to the budget', () => {
    const policies = hook({ AWF_MAX_EFFECTIVE_TOKENS: '8' });
    const record = {
      requestId: 'r-1',
      route: 'openai',
      flavor: 'openai',
      model: 'gpt-4o',
      path: '/v1/chat/completions',
      status: 200,
      streaming: false,
      usage: { input: 0, output: 2, cacheRead: 0, cacheWrite: 0 },
      durationMs: 1,
      responseBytes: 10,
      endedAt: 0,
    };
    policies.usageSink({ ...record, reported: false, usage: { ...record.usage, output: 99 } });
    expect(policies.beforeSend!(request('gpt-4o'))).toBeUndefined();
    policies.usageSink({ ...record, reported: true });
    expect(policies.beforeSend!(request('gpt-4o'))).toMatchObject({ refuse: 'budget_exhausted' });
  });
});
