import {
  ConfigError,
  parseGithubOidcConfig,
  selectFederation,
  type Environment,
  type ProviderPlugin,
} from '@keyless/auth-core';
import type { RouteSpec } from './config-file.ts';
import { FLAVORS } from './flavors.ts';
import { staticAuth } from './static-auth.ts';
import type { RouteAuth, RouteConfig } from './gateway-config.ts';
import { staticKey } from './static-key.ts';
import { parseUpstream } from './upstream.ts';

/** Routes of a config file's `routes:` list, each with its own auth block. */
export function routesFromSpecs(
  specs: readonly RouteSpec[],
  env: Environment,
  plugins: readonly ProviderPlugin[],
): RouteConfig[] {
  return specs.map((spec) => {
    const flavor = FLAVORS[spec.flavor];
    let auth: RouteAuth;
    if (spec.keyEnv !== undefined) {
      const key = staticKey(env[spec.keyEnv]);
      if (key === undefined)
        throw new ConfigError(`${spec.label}: ${spec.keyEnv} (auth.key-env) is not set`);
      auth = staticAuth(spec.keyEnv, key, flavor);
    } else {
      const routeEnv = { ...env, ...spec.authEnv };
      const selected = selectFederation(routeEnv, plugins);
      if (!selected) throw new ConfigError(`${spec.label}: auth.type is required`);
      auth = {
        kind: 'federated',
        type: selected.type,
        plugin: selected.plugin,
        config: selected.plugin.parseConfig(routeEnv),
        oidc: parseGithubOidcConfig(routeEnv),
      };
    }
    return {
      name: spec.name,
      port: spec.port,
      portSetting: `${spec.label}.port`,
      upstream: parseUpstream(`${spec.label}.upstream`, spec.upstream),
      flavor,
      auth,
      extraHeaders: {},
    };
  });
}
