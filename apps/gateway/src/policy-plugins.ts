import {
  modelPolicyPlugin,
  rateLimitPlugin,
  tokenBudgetPlugin,
  type PolicyPlugin,
} from '@keyless/policies';

/**
 * The request policies this gateway ships: the one registration list a new
 * policy library is added to. They run in this order: a refused model is
 * answered first, and neither the budget nor the rate counts a refused request.
 */
export const POLICY_PLUGINS: readonly PolicyPlugin[] = [
  modelPolicyPlugin,
  tokenBudgetPlugin,
  rateLimitPlugin,
];
