import { ConfigError } from './errors.ts';
import type { ProviderPlugin } from './plugin.ts';
import { configError, readSetting, settingLabel } from './settings.ts';
import type { Environment, Setting } from './settings.ts';

/** `AWF_AUTH_TYPE`: turns federation on (`github-oidc`). */
export const AWF_AUTH_TYPE: Setting = {
  env: 'AWF_AUTH_TYPE',
  authKey: 'type',
  description: 'Federated auth type; `github-oidc` turns federation on',
};

/** `AWF_AUTH_PROVIDER`: which provider plugin exchanges the token. */
export const AWF_AUTH_PROVIDER: Setting = {
  env: 'AWF_AUTH_PROVIDER',
  authKey: 'provider',
  description:
    'Provider plugin by name (see the providers below); derived from COPILOT_PROVIDER_TYPE when unset',
};

/** `AWF_AUTH_OIDC_AUDIENCE`: audience of the GitHub OIDC token; each plugin applies its default. */
export const AWF_AUTH_OIDC_AUDIENCE: Setting = {
  env: 'AWF_AUTH_OIDC_AUDIENCE',
  authKey: 'audience',
  description: 'Audience of the GitHub OIDC token',
  default: 'per provider',
};

/** The selection settings, in reference order. */
export const SELECTION_SETTINGS: readonly Setting[] = [
  AWF_AUTH_TYPE,
  AWF_AUTH_PROVIDER,
  AWF_AUTH_OIDC_AUDIENCE,
];

/** Set by the workflow compiler for Copilot BYOK; decides the plugin when AWF_AUTH_PROVIDER is unset. */
const COPILOT_PROVIDER_TYPE = 'COPILOT_PROVIDER_TYPE';

/** The federation in effect: the auth type and the plugin that serves it. */
export interface Federation {
  /** Lower-case `AWF_AUTH_TYPE`, e.g. `github-oidc`. */
  readonly type: string;
  readonly plugin: ProviderPlugin;
}

/**
 * Picks the provider plugin per SPEC section 4: none when AWF_AUTH_TYPE is
 * unset; else AWF_AUTH_PROVIDER, else the plugin declaring
 * COPILOT_PROVIDER_TYPE. Throws ConfigError naming the variables otherwise.
 */
export function selectFederation(
  env: Environment,
  plugins: readonly ProviderPlugin[],
): Federation | undefined {
  const type = readSetting(env, AWF_AUTH_TYPE)?.toLowerCase();
  if (type === undefined) return undefined;
  if (plugins.length === 0) {
    throw configError(
      AWF_AUTH_TYPE,
      `is "${type}", but no federated provider plugin is installed in this gateway`,
    );
  }
  const types = unique(plugins.flatMap((plugin) => plugin.authTypes.map(lower)));
  if (!types.includes(type)) {
    throw configError(AWF_AUTH_TYPE, `unknown auth type "${type}"; supported: ${types.join(', ')}`);
  }
  const plugin = pickPlugin(env, plugins);
  if (!plugin.authTypes.map(lower).includes(type)) {
    throw configError(
      AWF_AUTH_TYPE,
      `provider "${plugin.name}" does not support auth type "${type}"; it supports: ${plugin.authTypes.join(', ')}`,
    );
  }
  return { type, plugin };
}

function pickPlugin(env: Environment, plugins: readonly ProviderPlugin[]): ProviderPlugin {
  const names = plugins.map((plugin) => plugin.name).join(', ');
  const provider = readSetting(env, AWF_AUTH_PROVIDER)?.toLowerCase();
  if (provider !== undefined) {
    const plugin = plugins.find((candidate) => lower(candidate.name) === provider);
    if (!plugin)
      throw configError(AWF_AUTH_PROVIDER, `unknown provider "${provider}"; installed: ${names}`);
    return plugin;
  }
  const copilotType = env[COPILOT_PROVIDER_TYPE]?.trim().toLowerCase();
  const plugin = copilotType
    ? plugins.find((candidate) => candidate.copilotProviderTypes.map(lower).includes(copilotType))
    : undefined;
  if (plugin) return plugin;
  const derived = copilotType
    ? `${COPILOT_PROVIDER_TYPE} "${copilotType}" does not select one`
    : `${COPILOT_PROVIDER_TYPE} is not set either`;
  throw new ConfigError(
    `${settingLabel(AWF_AUTH_TYPE)} is set but no provider is chosen: ${settingLabel(AWF_AUTH_PROVIDER)} is not set and ${derived}; set ${AWF_AUTH_PROVIDER.env} to one of: ${names}`,
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function lower(value: string): string {
  return value.toLowerCase();
}
