import { modelPolicyPlugin } from './model-policy.ts';
import { rateLimitPlugin } from './rate-limit-policy.ts';
import { describePolicyConformance, testPolicyPlugin } from './testing/index.ts';
import { tokenBudgetPlugin } from './token-budget-policy.ts';

describePolicyConformance({
  plugin: testPolicyPlugin,
  env: { KEYLESS_TEST_POLICY_REFUSE_PATH: '/v1/chat' },
});

describePolicyConformance({
  plugin: rateLimitPlugin,
  env: { AWF_RATE_LIMIT_RPM: '1' },
  invalid: [{ AWF_RATE_LIMIT_RPM: 'many' }, { AWF_RATE_LIMIT_ENABLED: 'sometimes' }],
});

describePolicyConformance({
  plugin: modelPolicyPlugin,
  env: { AWF_DISALLOWED_MODELS: '["gpt-4*"]' },
  invalid: [{ AWF_ALLOWED_MODELS: '"claude"' }, { AWF_MODEL_ALIASES: '[]' }],
});

describePolicyConformance({
  plugin: tokenBudgetPlugin,
  env: { AWF_MAX_EFFECTIVE_TOKENS: '2' },
  invalid: [{ AWF_MAX_EFFECTIVE_TOKENS: '2.5' }, { AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS: 'x' }],
});
