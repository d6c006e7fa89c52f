import {
  ConfigError,
  parseGithubOidcConfig,
  pickWireFormat,
  selectFederation,
  type Environment,
  type ProviderPlugin,
  type WireFormat,
} from '@keyless/auth-core';
import type { FederatedAuth } from './gateway-config.ts';
import { BUILT_IN_ROUTES } from './route-table.ts';
import { ACCEPTED_WIRE_FORMATS } from './wire-formats.ts';

/** The federated identity this process uses, and the routes it serves. */
export interface Federation {
  readonly auth: FederatedAuth;
  /** Built-in route names that use the federated credential. */
  readonly routes: readonly string[];
  /** The wire format the credential takes on each of `routes`. */
  readonly wireFormats: Readonly<Record<string, WireFormat>>;
}

/**
 * Selects and validates the federated identity (SPEC section 4), or undefined
 * when `AWF_AUTH_TYPE` is unset. The credential serves the plugin's own route
 * and, when the plugin opts into copilot (declares `copilotProviderTypes`),
 * the copilot route with a BYOK base URL; each in a wire format both the
 * plugin and the route's upstream support.
 */
export function resolveFederation(
  env: Environment,
  plugins: readonly ProviderPlugin[],
): Federation | undefined {
  checkPluginRoutes(plugins);
  const selected = selectFederation(env, plugins);
  if (!selected) return undefined;
  const { plugin } = selected;
  const oidc = parseGithubOidcConfig(env);
  const config = plugin.parseConfig(env);
  const routes: string[] = [];
  if (env.COPILOT_PROVIDER_BASE_URL?.trim() && plugin.copilotProviderTypes.length > 0) {
    routes.push('copilot');
  }
  const own = plugin.route;
  if (!own.whenSet || env[own.whenSet]?.trim()) routes.push(own.name);
  const wireFormats: Record<string, WireFormat> = {};
  for (const name of routes) wireFormats[name] = wireFormatOn(name, plugin, env);
  return {
    auth: { kind: 'federated', type: selected.type, plugin, config, oidc },
    routes,
    wireFormats,
  };
}

/** Every registered plugin names a built-in route: a typo fails every start, not only its own. */
export function checkPluginRoutes(plugins: readonly ProviderPlugin[]): void {
  const names = BUILT_IN_ROUTES.map((route) => route.name);
  for (const plugin of plugins) {
    if (!names.includes(plugin.route.name)) {
      throw new ConfigError(
        `provider plugin ${plugin.name} declares route "${plugin.route.name}", which is not a built-in route; built-in routes: ${names.join(', ')}`,
      );
    }
  }
}

function wireFormatOn(name: string, plugin: ProviderPlugin, env: Environment): WireFormat {
  const route = BUILT_IN_ROUTES.find((candidate) => candidate.name === name)!;
  const flavor = route.flavor(env);
  const accepted = ACCEPTED_WIRE_FORMATS[flavor];
  const format = pickWireFormat(plugin, accepted);
  if (format === undefined) {
    const own = plugin.wireFormats ?? ['bearer'];
    throw new ConfigError(
      `provider ${plugin.name} cannot serve route ${name}: its ${flavor} upstream accepts ${accepted.join(', ')}, the plugin produces ${own.join(', ')}` +
        (name === 'copilot' ? ' (COPILOT_PROVIDER_TYPE decides the copilot upstream)' : ''),
    );
  }
  return format;
}
