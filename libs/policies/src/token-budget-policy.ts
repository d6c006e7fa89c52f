import { configError, type Environment, type Setting } from '@keyless/auth-core';
import { effectiveTokens, type ModelMultipliers } from './effective-tokens.ts';
import type {
  Policy,
  PolicyContext,
  PolicyPlugin,
  PolicyRequest,
  PolicyVerdict,
  Usage,
} from './policy.ts';
import { readJson, readPositiveInteger, readPositiveNumber } from './policy-settings.ts';

export const TOKEN_BUDGET_SETTINGS = {
  max: {
    env: 'AWF_MAX_EFFECTIVE_TOKENS',
    description:
      'Effective-token budget of the process (input x1, cache read x0.1, cache write x1, output x4, times the model multiplier); once spent every request gets 429 `budget_exhausted`',
  },
  multipliers: {
    env: 'AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS',
    description:
      'JSON object model -> multiplier of its effective tokens (an entry also covers `<model>-<suffix>`)',
  },
  defaultMultiplier: {
    env: 'AWF_EFFECTIVE_TOKEN_DEFAULT_MODEL_MULTIPLIER',
    description: 'Multiplier of models not in AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS',
    default: '1',
  },
} as const satisfies Record<string, Setting>;

/** The budget and its weights. */
export interface TokenBudgetConfig {
  /** Effective tokens. */
  readonly max: number;
  readonly multipliers: ModelMultipliers;
}

/** Shares of the budget whose crossing is logged, percent (the api-proxy's steering thresholds). */
export const BUDGET_THRESHOLDS = [80, 90, 95, 99] as const;

/**
 * The api-proxy's effective-token guard: answers add their weighted usage to
 * one process-wide total; once the total reaches the budget, every request
 * is refused. An answer already streaming completes (its usage still counts).
 */
export const tokenBudgetPlugin: PolicyPlugin<TokenBudgetConfig> = {
  name: 'token-budget',
  settings: Object.values(TOKEN_BUDGET_SETTINGS),
  parseConfig(env) {
    const S = TOKEN_BUDGET_SETTINGS;
    const max = readPositiveInteger(env, S.max);
    const multipliers = {
      byModel: readMultipliers(env, S.multipliers),
      fallback: readPositiveNumber(env, S.defaultMultiplier) ?? 1,
    };
    if (max === undefined) return undefined;
    return Object.freeze({ max, multipliers: Object.freeze(multipliers) });
  },
  create: (config, context) => new TokenBudgetPolicy(config, context),
};

class TokenBudgetPolicy implements Policy {
  readonly name = tokenBudgetPlugin.name;
  readonly #config: TokenBudgetConfig;
  readonly #context: PolicyContext;
  #used = 0;
  readonly #crossed = new Set<number>();

  constructor(config: TokenBudgetConfig, context: PolicyContext) {
    this.#config = config;
    this.#context = context;
  }

  check(request: PolicyRequest): PolicyVerdict | undefined {
    if (this.#used < this.#config.max) return streamUsageRequested(request);
    return {
      refuse: 'budget_exhausted',
      message: `${TOKEN_BUDGET_SETTINGS.max.env}: the budget of ${this.#config.max} effective tokens is spent (${round(this.#used)} used); no further model requests are sent`,
    };
  }

  onUsage(usage: Usage): void {
    const { max } = this.#config;
    const model = usage.model ?? 'unknown';
    const before = this.#used;
    const added = effectiveTokens(usage, model, this.#config.multipliers);
    if (!(added > 0)) return;
    this.#used += added;
    const fields = {
      route: usage.route,
      model,
      added: round(added),
      used: round(this.#used),
      max,
    };
    for (const threshold of BUDGET_THRESHOLDS) {
      if (this.#used * 100 >= threshold * max && !this.#crossed.has(threshold)) {
        this.#crossed.add(threshold);
        this.#context.log(
          'info',
          'budget.threshold',
          { ...fields, percent: threshold },
          `${threshold}% of the effective-token budget is used`,
        );
      }
    }
    if (before < max && this.#used >= max) {
      this.#context.log(
        'warn',
        'budget.exhausted',
        fields,
        'the effective-token budget is spent; further requests are refused',
      );
    }
  }

  state() {
    const { max } = this.#config;
    const used = round(Math.min(this.#used, max));
    const remaining = round(Math.max(0, max - this.#used));
    return {
      summary: {
        maxEffectiveTokens: max,
        usedEffectiveTokens: used,
        remainingEffectiveTokens: remaining,
        exhausted: this.#used >= max,
      },
      readings: [
        { reading: 'effective_tokens_max', value: max },
        { reading: 'effective_tokens_used', value: used },
        { reading: 'effective_tokens_remaining', value: remaining },
      ],
    };
  }
}

/** OpenAI chat and legacy completions (also Azure deployments and OpenAI-compatible routes). */
const COMPLETIONS_PATH = /\/(?:chat\/)?completions\/?$/;

/**
 * A streamed OpenAI completion reports its usage only when asked
 * (`stream_options.include_usage`): without it the answer would cost
 * nothing here. As the api-proxy does, the request is made to ask; unlike
 * it, an explicit `include_usage: false` is overridden too.
 */
function streamUsageRequested(request: PolicyRequest): PolicyVerdict | undefined {
  const query = request.path.indexOf('?');
  const path = query < 0 ? request.path : request.path.slice(0, query);
  if (!COMPLETIONS_PATH.test(path) || request.websocket) return undefined;
  const json = request.json;
  if (json?.stream !== true) return undefined;
  const options = json.stream_options;
  const current =
    options && typeof options === 'object' && !Array.isArray(options)
      ? (options as Record<string, unknown>)
      : {};
  if (current.include_usage === true) return undefined;
  return { set: { stream_options: { ...current, include_usage: true } } };
}

/** Two decimals: cache reads weigh a tenth. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function readMultipliers(env: Environment, setting: Setting): Readonly<Record<string, number>> {
  const value = readJson(env, setting);
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(setting, 'must be a JSON object {"<model>": <multiplier>, ...}');
  }
  const multipliers: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [model, multiplier] of Object.entries(value)) {
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier <= 0) {
      throw configError(setting, `the multiplier of "${model}" must be a number above 0`);
    }
    multipliers[model] = multiplier;
  }
  return Object.freeze(multipliers);
}
