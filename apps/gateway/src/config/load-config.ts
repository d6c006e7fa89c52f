import {
  assertAgentProxySupported,
  ConfigError,
  parseEgressProxy,
  readSetting,
  type Environment,
  type ProviderPlugin,
} from '@keyless/auth-core';
import { FLAVORS, staticAuth } from './flavors.ts';
import type { GatewayConfig, RouteAuth, RouteConfig } from './gateway-config.ts';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_CREDENTIAL_WAIT_MS,
  DEFAULT_HOST,
  DEFAULT_MANAGEMENT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  GATEWAY_SETTINGS as S,
  readInteger,
  readLogLevel,
  readPort,
} from './gateway-settings.ts';
import { resolveFederation } from './federation.ts';
import type { RouteSpec } from './config-file.ts';
import { BUILT_IN_ROUTES } from './route-table.ts';
import { routesFromSpecs } from './route-specs.ts';
import { parseUpstream } from './upstream.ts';

const HOUR_MS = 3_600_000;

/**
 * Builds the gateway configuration from environment variables (already merged
 * with a config file's `engine.env`/`engine.auth`). Every problem is a
 * ConfigError naming the variable; nothing is listening yet.
 */
export function loadConfig(
  env: Environment,
  plugins: readonly ProviderPlugin[],
  routeSpecs?: readonly RouteSpec[],
): GatewayConfig {
  const warnings: string[] = [];
  const routes = routeSpecs
    ? routesFromSpecs(routeSpecs, env, plugins)
    : builtInRoutes(env, plugins, warnings);

  const config: GatewayConfig = {
    host: readSetting(env, S.host) ?? DEFAULT_HOST,
    managementPort: readPort(env, S.managementPort, DEFAULT_MANAGEMENT_PORT),
    bodyLimit: readInteger(env, S.bodyLimit, DEFAULT_BODY_LIMIT, 1, 1 << 30),
    upstreamTimeoutMs: readInteger(
      env,
      S.upstreamTimeoutMs,
      DEFAULT_UPSTREAM_TIMEOUT_MS,
      1,
      24 * HOUR_MS,
    ),
    credentialWaitMs: readInteger(env, S.credentialWaitMs, DEFAULT_CREDENTIAL_WAIT_MS, 0, HOUR_MS),
    shutdownGraceMs: readInteger(env, S.shutdownGraceMs, DEFAULT_SHUTDOWN_GRACE_MS, 0, HOUR_MS),
    clientKey: readSetting(env, S.clientKey),
    logLevel: readLogLevel(env),
    egress: parseEgressProxy(env),
    routes,
    warnings,
  };
  if (routes.length === 0) {
    throw new ConfigError(
      'no route is configured: set a provider key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY, COPILOT_PROVIDER_API_KEY) or AWF_AUTH_TYPE=github-oidc',
    );
  }
  assertDistinctPorts(config);
  // WebSocket upgrades reach the upstream over Node's own agents, which need `proxyEnv` support.
  assertAgentProxySupported(config.egress, 'WebSocket upgrades');
  return Object.freeze(config);
}

function assertDistinctPorts(config: GatewayConfig): void {
  const owners = new Map<number, string>([[config.managementPort, 'the management port']]);
  for (const route of config.routes) {
    const owner = owners.get(route.port);
    if (owner)
      throw new ConfigError(`route ${route.name}: port ${route.port} is already used by ${owner}`);
    owners.set(route.port, `route ${route.name}`);
  }
}

/** Routes of the built-in table that have a static key or the federated identity. */
function builtInRoutes(
  env: Environment,
  plugins: readonly ProviderPlugin[],
  warnings: string[],
): RouteConfig[] {
  const federation = resolveFederation(env, plugins);
  const routes: RouteConfig[] = [];
  for (const route of BUILT_IN_ROUTES) {
    const key = route.staticKey(env);
    const federated = federation?.routes.includes(route.name);
    if (!key && !federated) continue;

    const flavor = FLAVORS[route.flavor(env)];
    const target = route.upstream(env);
    let auth: RouteAuth;
    if (federation && federated) {
      if (key) {
        warnings.push(
          `route ${route.name}: ${key.variable} is ignored; the ${federation.auth.type} credential of provider ${federation.auth.plugin.name} replaces it`,
        );
      }
      auth = federation.auth;
    } else {
      auth = staticAuth(key!.variable, key!.value, flavor, key!.bearer);
    }
    routes.push({
      name: route.name,
      port: readPort(env, { env: route.portVariable, description: '' }, route.defaultPort),
      upstream: parseUpstream(target.variable, target.value, target.basePath),
      flavor,
      auth,
    });
  }
  return routes;
}
