export type {
  Policy,
  PolicyContext,
  PolicyPlugin,
  PolicyReading,
  PolicyRefusal,
  PolicyRefusalCode,
  PolicyRequest,
  PolicyState,
  PolicyVerdict,
  RateLimitFigures,
  Usage,
} from './policy.ts';
export { configurePolicies, PolicySet } from './policy-set.ts';
export type {
  ConfiguredPolicy,
  PolicyInput,
  PolicyMessageInput,
  PolicyReport,
  PolicySetVerdict,
} from './policy-set.ts';
export { rateLimitPlugin, RATE_LIMIT_SETTINGS } from './rate-limit-policy.ts';
export { modelPolicyPlugin, MODEL_POLICY_SETTINGS } from './model-policy.ts';
export { tokenBudgetPlugin, TOKEN_BUDGET_SETTINGS } from './token-budget-policy.ts';
export { unresolvableTargets } from './model-aliases.ts';
