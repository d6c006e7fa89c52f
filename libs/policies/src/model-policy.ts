import { configError, type Environment, type Setting } from '@keyless/auth-core';
import { modelRefusal, type ModelLists, type ModelRefusal } from './model-access.ts';
import {
  parseModelAliases,
  resolveAlias,
  unresolvableTargets,
  type ModelAliases,
} from './model-aliases.ts';
import type {
  Policy,
  PolicyContext,
  PolicyPlugin,
  PolicyRequest,
  PolicyVerdict,
} from './policy.ts';
import { readJson } from './policy-settings.ts';

export const MODEL_POLICY_SETTINGS = {
  allowed: {
    env: 'AWF_ALLOWED_MODELS',
    description:
      'JSON array of model patterns (`*` wildcard, case-insensitive; `route/pattern` for one route); any other model is refused with 400 `model_not_allowed`',
  },
  disallowed: {
    env: 'AWF_DISALLOWED_MODELS',
    description:
      'JSON array of model patterns refused with 400 `model_not_allowed` (checked before the allowlist); `auto` is then refused unless allowed',
  },
  aliases: {
    env: 'AWF_MODEL_ALIASES',
    description:
      'JSON `{"models": {"<alias>": ["<route>/<model>", "<alias>", ...]}}`: a body model naming an alias is rewritten before signing to the highest permitted concrete target of the route',
  },
} as const satisfies Record<string, Setting>;

/** Model lists and aliases, validated. */
export interface ModelPolicyConfig extends ModelLists {
  readonly aliases?: ModelAliases;
}

/** Longest client-chosen model name echoed in a refusal. */
const MODEL_ECHO_CHARS = 200;

/**
 * The api-proxy's model policy: aliases rewrite the body's model first, then
 * the model that would be sent (in the body, or in the path for Bedrock,
 * Vertex, Gemini and Azure deployments) must pass the allow and deny lists.
 */
export const modelPolicyPlugin: PolicyPlugin<ModelPolicyConfig> = {
  name: 'model-policy',
  settings: Object.values(MODEL_POLICY_SETTINGS),
  parseConfig(env) {
    const S = MODEL_POLICY_SETTINGS;
    const allowed = readPatterns(env, S.allowed);
    const disallowed = readPatterns(env, S.disallowed);
    const rawAliases = readJson(env, S.aliases);
    const aliases = rawAliases === undefined ? undefined : parseModelAliases(rawAliases, S.aliases);
    if (!allowed && !disallowed && !aliases) return undefined;
    return Object.freeze({
      ...(allowed ? { allowed } : {}),
      ...(disallowed ? { disallowed } : {}),
      ...(aliases ? { aliases } : {}),
    });
  },
  create: (config, context) => new ModelPolicy(config, context),
};

class ModelPolicy implements Policy {
  readonly name = modelPolicyPlugin.name;
  readonly #config: ModelPolicyConfig;
  readonly #context: PolicyContext;
  #refused = 0;
  #rewritten = 0;

  constructor(config: ModelPolicyConfig, context: PolicyContext) {
    this.#config = config;
    this.#context = context;
    const skipped = config.aliases ? unresolvableTargets(config.aliases) : [];
    if (skipped.length > 0) {
      context.log(
        'warn',
        'policy.alias_targets_skipped',
        { targets: skipped },
        'alias targets with a wildcard need model discovery, which Keyless does not do: they are skipped',
      );
    }
  }

  check(request: PolicyRequest): PolicyVerdict | undefined {
    const { route } = request;
    const permitted = (model: string) => !modelRefusal(model, route, this.#config);
    let model = request.model;
    let rewrite: string | undefined;
    // A path names a model Keyless does not rewrite (it would change what is signed and routed).
    if (this.#config.aliases && request.modelIn !== 'path' && request.jsonBody) {
      const resolved = resolveAlias(model ?? '', route, this.#config.aliases, permitted);
      if (resolved !== undefined && resolved !== model) {
        this.#context.log(
          'info',
          'policy.model_alias',
          { route, requested: model ?? '', model: resolved },
          'model alias resolved',
        );
        rewrite = model = resolved;
      }
    }
    const { allowed, disallowed } = this.#config;
    if (model === undefined && request.unreadable !== undefined && (allowed || disallowed)) {
      // Fail closed: the upstream may read a model Keyless cannot see.
      this.#refused++;
      const setting = allowed ? MODEL_POLICY_SETTINGS.allowed : MODEL_POLICY_SETTINGS.disallowed;
      return {
        refuse: 'model_not_allowed',
        message: `${setting.env}: the request body ${request.unreadable}, so its model cannot be checked; send it uncompressed and as valid JSON`,
      };
    }
    const refusal = model === undefined ? undefined : modelRefusal(model, route, this.#config);
    if (refusal) {
      this.#refused++;
      return { refuse: 'model_not_allowed', message: refusalMessage(model!, refusal) };
    }
    if (rewrite === undefined) return undefined;
    this.#rewritten++;
    return { model: rewrite };
  }

  state() {
    const { allowed, disallowed, aliases } = this.#config;
    return {
      summary: {
        allowedModels: allowed ?? null,
        disallowedModels: disallowed ?? null,
        aliases: aliases ? [...aliases.keys()] : [],
        refused: this.#refused,
        rewritten: this.#rewritten,
      },
      readings: [
        { reading: 'requests_refused', value: this.#refused },
        { reading: 'models_rewritten', value: this.#rewritten },
      ],
    };
  }
}

function refusalMessage(model: string, refusal: ModelRefusal): string {
  const name = JSON.stringify(model.slice(0, MODEL_ECHO_CHARS));
  const S = MODEL_POLICY_SETTINGS;
  switch (refusal.reason) {
    case 'disallowed':
      return `${S.disallowed.env}: model ${name} is not permitted: it matches the disallowed pattern ${JSON.stringify(refusal.pattern)}`;
    case 'not_allowed':
      return `${S.allowed.env}: model ${name} is not permitted: it matches none of the allowed models`;
    case 'dynamic_model_unverifiable':
      return `${S.disallowed.env}: model ${name} picks a model at run time, so the disallowed models cannot be enforced; add "auto" to ${S.allowed.env} to allow it`;
  }
}

/** A non-empty JSON array of non-empty patterns, as the api-proxy requires. */
function readPatterns(env: Environment, setting: Setting): readonly string[] | undefined {
  const value = readJson(env, setting);
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((item) => typeof item === 'string' && item.trim())
  ) {
    throw configError(
      setting,
      'must be a non-empty JSON array of model patterns, e.g. ["claude-*"]',
    );
  }
  return Object.freeze(value.map((item: string) => item.trim()));
}
