import type { Usage } from './policy.ts';

/**
 * The api-proxy's effective-token weights: a cache read costs a tenth of an
 * input token, an output token four. Keyless also weighs cache writes as
 * input (the api-proxy leaves them out; they cost at least an input token).
 */
export const EFFECTIVE_TOKEN_WEIGHTS = Object.freeze({
  input: 1,
  cacheRead: 0.1,
  cacheWrite: 1,
  output: 4,
});

/** Per-model multipliers (AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS) and the default for other models. */
export interface ModelMultipliers {
  readonly byModel: Readonly<Record<string, number>>;
  readonly fallback: number;
}

/**
 * The multiplier of `model`: its own entry, else the longest entry it extends
 * with a `-` suffix (`gpt-4o` covers `gpt-4o-2024-08-06`), else the default.
 */
export function modelMultiplier(model: string, multipliers: ModelMultipliers): number {
  const { byModel } = multipliers;
  if (Object.hasOwn(byModel, model)) return byModel[model]!;
  let best: string | undefined;
  for (const name of Object.keys(byModel)) {
    if (model.startsWith(`${name}-`) && (best === undefined || name.length > best.length))
      best = name;
  }
  return best === undefined ? multipliers.fallback : byModel[best]!;
}

/** Effective tokens of one answer: weighted counts times the model's multiplier. */
export function effectiveTokens(
  usage: Usage,
  model: string,
  multipliers: ModelMultipliers,
): number {
  const w = EFFECTIVE_TOKEN_WEIGHTS;
  const weighted =
    w.input * usage.inputTokens +
    w.cacheRead * usage.cacheReadTokens +
    w.cacheWrite * usage.cacheWriteTokens +
    w.output * usage.outputTokens;
  return modelMultiplier(model, multipliers) * weighted;
}
