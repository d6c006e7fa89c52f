import { configError, type Setting } from '@keyless/auth-core';
import { isConcrete } from './glob-match.ts';
import { compareByVersion } from './model-version.ts';

/** AWF_MODEL_ALIASES: lower-cased alias -> its targets, in order. */
export type ModelAliases = ReadonlyMap<string, readonly string[]>;

/**
 * Validates the api-proxy's alias document, `{"models": {"sonnet":
 * ["copilot/claude-sonnet-4.5", "anthropic/claude-sonnet-4-5"], "": ["sonnet"]}}`.
 * A target is `route/model` or another alias; an entry may also be
 * `{"patterns": [...], "fallback": bool}`. The `""` alias applies to requests
 * that name no model.
 */
export function parseModelAliases(value: unknown, setting: Setting): ModelAliases {
  const models = (value as { models?: unknown } | null)?.models;
  if (!isObject(value) || !isObject(models)) {
    throw configError(
      setting,
      'must be a JSON object {"models": {"<alias>": ["<route>/<model>", ...]}}',
    );
  }
  const aliases = new Map<string, readonly string[]>();
  for (const [alias, entry] of Object.entries(models)) {
    const targets = Array.isArray(entry) ? entry : isObject(entry) ? entry.patterns : undefined;
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t.trim())) {
      throw configError(setting, `alias "${alias}" must list its targets as non-empty strings`);
    }
    aliases.set(alias.toLowerCase(), Object.freeze(targets.map((t: string) => t.trim())));
  }
  return aliases;
}

/**
 * Targets Keyless cannot resolve: `route/pattern` with a wildcard. The
 * api-proxy matches those against the models it discovers at the provider;
 * Keyless discovers none, so it warns about them at startup.
 */
export function unresolvableTargets(aliases: ModelAliases): string[] {
  return [...aliases.values()]
    .flat()
    .filter((target) => target.includes('/') && !isConcrete(target));
}

/**
 * The model an alias stands for on `route`: the concrete `route/model`
 * targets (through nested aliases, loops ignored) that `permitted` accepts,
 * highest version first. Undefined when `requested` is no alias or nothing fits.
 */
export function resolveAlias(
  requested: string,
  route: string,
  aliases: ModelAliases,
  permitted: (model: string) => boolean,
  chain: readonly string[] = [],
): string | undefined {
  const key = requested.toLowerCase();
  // Copilot's `auto` lets the service pick; the api-proxy passes it through.
  if (route === 'copilot' && key === 'auto') return undefined;
  const targets = aliases.get(key);
  if (!targets || chain.includes(key)) return undefined;
  const candidates: string[] = [];
  for (const target of targets) {
    const slash = target.indexOf('/');
    if (slash < 0) {
      const nested = resolveAlias(target, route, aliases, permitted, [...chain, key]);
      if (nested !== undefined) candidates.push(nested);
    } else if (target.slice(0, slash).toLowerCase() === route.toLowerCase()) {
      const model = target.slice(slash + 1);
      if (model && isConcrete(model)) candidates.push(model);
    }
  }
  return [...new Set(candidates.filter(permitted))].sort(compareByVersion)[0];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
