import {
  parseGithubOidcConfig,
  selectFederation,
  type Environment,
  type ProviderPlugin,
} from '@keyless/auth-core';
import type { FederatedAuth } from './gateway-config.ts';

/** The federated identity this process uses, and the routes it serves. */
export interface Federation {
  readonly auth: FederatedAuth;
  /** Built-in route names that use the federated credential. */
  readonly routes: readonly string[];
}

/**
 * Selects and validates the federated identity (SPEC section 4), or undefined
 * when `AWF_AUTH_TYPE` is unset. The credential serves the copilot route when
 * a BYOK base URL is set, and the plugin's own route.
 */
export function resolveFederation(
  env: Environment,
  plugins: readonly ProviderPlugin[],
): Federation | undefined {
  const selected = selectFederation(env, plugins);
  if (!selected) return undefined;
  const oidc = parseGithubOidcConfig(env);
  const config = selected.plugin.parseConfig(env);
  const routes: string[] = [];
  if (env.COPILOT_PROVIDER_BASE_URL?.trim()) routes.push('copilot');
  const own = selected.plugin.route;
  if (!own.whenSet || env[own.whenSet]?.trim()) routes.push(own.name);
  return {
    auth: { kind: 'federated', type: selected.type, plugin: selected.plugin, config, oidc },
    routes,
  };
}
