import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { modelPolicyPlugin } from './model-policy.ts';
import { fakePolicyContext, policyRequest } from './testing/index.ts';

function policy(env: Record<string, string>) {
  const config = modelPolicyPlugin.parseConfig(env);
  if (!config) throw new Error('model policy is off');
  const context = fakePolicyContext();
  return { policy: modelPolicyPlugin.create(config, context), context };
}

const ALIASES = JSON.stringify({
  models: {
    sonnet: ['anthropic/claude-sonnet-4-5', 'bedrock/anthropic.claude-sonnet-4-5-v1:0'],
    '': ['sonnet'],
  },
});

describe('model policy settings', () => {
  it('is off when no variable is set', () => {
    expect(modelPolicyPlugin.parseConfig({})).toBeUndefined();
  });

  it.each([
    [{ AWF_ALLOWED_MODELS: '[]' }, /^AWF_ALLOWED_MODELS: must be a non-empty JSON array/],
    [{ AWF_ALLOWED_MODELS: 'claude-*' }, /^AWF_ALLOWED_MODELS: is not valid JSON/],
    [{ AWF_DISALLOWED_MODELS: '["*opus*", 3]' }, /^AWF_DISALLOWED_MODELS: /],
    [{ AWF_MODEL_ALIASES: '{"sonnet": []}' }, /^AWF_MODEL_ALIASES: /],
  ])('refuses %o at startup', (env, message) => {
    expect(() => modelPolicyPlugin.parseConfig(env)).toThrow(ConfigError);
    expect(() => modelPolicyPlugin.parseConfig(env)).toThrow(message);
  });
});

describe('model policy', () => {
  it('refuses a disallowed body model naming the setting and the pattern', () => {
    const { policy: p } = policy({ AWF_DISALLOWED_MODELS: '["*opus*"]' });
    expect(p.check!(policyRequest({ model: 'claude-opus-4-1', route: 'anthropic' }))).toEqual({
      refuse: 'model_not_allowed',
      message:
        'AWF_DISALLOWED_MODELS: model "claude-opus-4-1" is not permitted: it matches the disallowed pattern "*opus*"',
    });
    expect(
      p.check!(policyRequest({ model: 'claude-sonnet-4-5', route: 'anthropic' })),
    ).toBeUndefined();
  });

  it('refuses a path model outside the allowlist (Bedrock, Vertex, Azure deployments)', () => {
    const { policy: p } = policy({ AWF_ALLOWED_MODELS: '["*sonnet*"]' });
    const verdict = p.check!(
      policyRequest({
        route: 'bedrock',
        model: 'anthropic.claude-opus-4-v1:0',
        modelIn: 'path',
        jsonBody: true,
      }),
    );
    expect(verdict).toMatchObject({ refuse: 'model_not_allowed' });
    expect(verdict && 'refuse' in verdict && verdict.message).toMatch(
      /^AWF_ALLOWED_MODELS: model "anthropic.claude-opus-4-v1:0" is not permitted/,
    );
    expect(p.state().summary).toMatchObject({ refused: 1 });
  });

  it('lets a request naming no model through', () => {
    const { policy: p } = policy({ AWF_ALLOWED_MODELS: '["*sonnet*"]' });
    expect(
      p.check!(policyRequest({ model: undefined, modelIn: undefined, jsonBody: false })),
    ).toBeUndefined();
  });

  it('rewrites a body alias to the route target, logs it, and checks the target', () => {
    const { policy: p, context } = policy({ AWF_MODEL_ALIASES: ALIASES });
    expect(p.check!(policyRequest({ route: 'anthropic', model: 'Sonnet' }))).toEqual({
      model: 'claude-sonnet-4-5',
    });
    expect(context.events).toEqual([
      expect.objectContaining({
        event: 'policy.model_alias',
        fields: { route: 'anthropic', requested: 'Sonnet', model: 'claude-sonnet-4-5' },
      }),
    ]);
    // The default alias fills in a JSON body without a model.
    expect(
      p.check!(policyRequest({ route: 'anthropic', model: undefined, modelIn: undefined })),
    ).toEqual({
      model: 'claude-sonnet-4-5',
    });
  });

  it('never rewrites a path model or a body that is not JSON', () => {
    const { policy: p } = policy({ AWF_MODEL_ALIASES: ALIASES });
    expect(
      p.check!(policyRequest({ route: 'bedrock', model: 'sonnet', modelIn: 'path' })),
    ).toBeUndefined();
    expect(
      p.check!(
        policyRequest({
          route: 'anthropic',
          model: undefined,
          modelIn: undefined,
          jsonBody: false,
        }),
      ),
    ).toBeUndefined();
  });

  it('does not let an alias reach a disallowed target, and refuses the alias then', () => {
    const { policy: p } = policy({
      AWF_MODEL_ALIASES: ALIASES,
      AWF_ALLOWED_MODELS: '["claude-haiku*"]',
    });
    const verdict = p.check!(policyRequest({ route: 'anthropic', model: 'sonnet' }));
    expect(verdict).toMatchObject({ refuse: 'model_not_allowed' });
    expect(verdict && 'refuse' in verdict && verdict.message).toMatch(
      /^AWF_ALLOWED_MODELS: model "sonnet"/,
    );
  });

  it('warns at startup about wildcard targets it cannot resolve', () => {
    const { context } = policy({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { sonnet: ['copilot/*sonnet*'] } }),
    });
    expect(context.events).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'policy.alias_targets_skipped',
        fields: { targets: ['copilot/*sonnet*'] },
      }),
    ]);
  });

  it('bounds the echoed model name', () => {
    const { policy: p } = policy({ AWF_DISALLOWED_MODELS: '["x*"]' });
    const verdict = p.check!(policyRequest({ model: 'x'.repeat(10_000) }));
    expect(verdict && 'refuse' in verdict && verdict.message.length).toBeLessThan(400);
  });
});
