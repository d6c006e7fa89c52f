import {
  assertAgentProxySupported,
  ConfigError,
  parseEgressProxy,
  readSetting,
  SELECTION_SETTINGS,
  type Environment,
  type ProviderPlugin,
} from '@keyless/auth-core';
import { configurePolicies } from '@keyless/policies';
import { POLICY_PLUGINS } from '../policy-plugins.ts';
import { readUsageSettings } from '../usage/usage-settings.ts';
import { FLAVORS } from './flavors.ts';
import { staticAuth } from './static-auth.ts';
import type { Flavor } from './flavors.ts';
import type { GatewayConfig, RouteAuth, RouteConfig, StaticAuth } from './gateway-config.ts';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_BUFFER_LIMIT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_CREDENTIAL_WAIT_MS,
  DEFAULT_HOST,
  DEFAULT_MANAGEMENT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  GATEWAY_SETTINGS as S,
  readInteger,
  readLogFormat,
  readLogLevel,
  readPort,
} from './gateway-settings.ts';
import { checkCopilotProviderType } from './copilot-provider-type.ts';
import { resolveFederation } from './federation.ts';
import type { RouteSpec } from './config-file.ts';
import { noteAwfVariables } from './note-awf-variables.ts';
import { refuseAwfVariables } from './refuse-awf-variables.ts';
import { ROUTE_SETTINGS } from './route-settings.ts';
import { BUILT_IN_ROUTES, type BuiltInRoute, type StaticKeySource } from './route-table.ts';
import { routesFromSpecs } from './route-specs.ts';
import { parseUpstream } from './upstream.ts';

const HOUR_MS = 3_600_000;

/**
 * Builds the gateway configuration from environment variables (already merged
 * with a config file's `engine.env`/`engine.auth`). Every problem is a
 * ConfigError naming the variable; nothing is listening yet. `notes` are
 * warnings found earlier (e.g. while reading the config file).
 */
export function loadConfig(
  env: Environment,
  plugins: readonly ProviderPlugin[],
  routeSpecs?: readonly RouteSpec[],
  notes: readonly string[] = [],
): GatewayConfig {
  // First, so that a guard the api-proxy would enforce is never silently dropped.
  refuseAwfVariables(env);
  checkCopilotProviderType(env, plugins);
  const warnings: string[] = [...notes];
  // Next to the refusal: an api-proxy setting that changes nothing here is said once, not dropped silently.
  const awfNote = noteAwfVariables(env, [
    ...SELECTION_SETTINGS,
    ...Object.values(S),
    ...ROUTE_SETTINGS,
    ...plugins.flatMap((plugin) => plugin.settings),
    ...POLICY_PLUGINS.flatMap((policy) => policy.settings),
  ]);
  if (awfNote) warnings.push(awfNote);
  const routes = routeSpecs
    ? routesFromSpecs(routeSpecs, env, plugins)
    : builtInRoutes(env, plugins, warnings);

  const config: GatewayConfig = {
    host: readSetting(env, S.host) ?? DEFAULT_HOST,
    managementPort: readPort(env, S.managementPort, DEFAULT_MANAGEMENT_PORT),
    bodyLimit: readInteger(env, S.bodyLimit, DEFAULT_BODY_LIMIT, 1, 1 << 30),
    bufferLimit: readInteger(env, S.bufferLimit, DEFAULT_BUFFER_LIMIT, 1, 2 ** 40),
    requestTimeoutMs: readInteger(
      env,
      S.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      1,
      24 * HOUR_MS,
    ),
    upstreamTimeoutMs: readInteger(
      env,
      S.upstreamTimeoutMs,
      DEFAULT_UPSTREAM_TIMEOUT_MS,
      1,
      24 * HOUR_MS,
    ),
    credentialWaitMs: readInteger(env, S.credentialWaitMs, DEFAULT_CREDENTIAL_WAIT_MS, 0, HOUR_MS),
    shutdownGraceMs: readShutdownGraceMs(env),
    clientKey: readSetting(env, S.clientKey),
    logLevel: readLogLevel(env),
    logFormat: readLogFormat(env),
    egress: parseEgressProxy(env),
    routes,
    policies: configurePolicies(env, POLICY_PLUGINS),
    usage: readUsageSettings(env),
    warnings,
  };
  if (routes.length === 0) throw new ConfigError('the config file lists no route');
  if (routes.every((route) => route.auth.kind === 'unconfigured')) {
    warnings.push(
      'no route is configured: every route answers route_not_configured; set a provider key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY, COPILOT_GITHUB_TOKEN) or AWF_AUTH_TYPE=github-oidc',
    );
  }
  assertDistinctPorts(config);
  // WebSocket upgrades reach the upstream over Node's own agents, which need `proxyEnv` support.
  assertAgentProxySupported(config.egress, 'WebSocket upgrades');
  return Object.freeze(config);
}

/** KEYLESS_SHUTDOWN_GRACE_MS, else the api-proxy's AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS, else the default. */
function readShutdownGraceMs(env: Environment): number {
  const setting =
    readSetting(env, S.shutdownGraceMs) === undefined ? S.shutdownGraceAlias : S.shutdownGraceMs;
  return readInteger(env, setting, DEFAULT_SHUTDOWN_GRACE_MS, 0, HOUR_MS);
}

function assertDistinctPorts(config: GatewayConfig): void {
  const owners = new Map<number, string>([[config.managementPort, 'the management port']]);
  for (const route of config.routes) {
    if (route.port === 0) continue; // each listener gets its own free port
    const owner = owners.get(route.port);
    if (owner)
      throw new ConfigError(`route ${route.name}: port ${route.port} is already used by ${owner}`);
    owners.set(route.port, `route ${route.name}`);
  }
}

/**
 * Every route of the built-in table: with its static key, the federated
 * identity, or unconfigured (it still listens and names what would configure it).
 */
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
    const flavor = FLAVORS[route.flavor(env)];
    const target = route.upstream(env);
    let auth: RouteAuth;
    if (federation && federated) {
      if (key) {
        warnings.push(
          `route ${route.name}: ${key.variable} is ignored; the ${federation.auth.type} credential of provider ${federation.auth.plugin.name} replaces it`,
        );
      }
      auth = { ...federation.auth, wireFormat: federation.wireFormats[route.name] };
    } else if (key) {
      auth = keyAuth(key, flavor);
    } else {
      auth = { kind: 'unconfigured', configuredBy: configuredBy(route, plugins) };
    }
    routes.push({
      name: route.name,
      port: readPort(env, { env: route.portVariable, description: '' }, route.defaultPort),
      portSetting: route.portVariable,
      upstream: parseUpstream(target.variable, target.value, target.basePath),
      flavor,
      auth,
      extraHeaders: Object.freeze(route.extraHeaders(env)),
    });
  }
  return routes;
}

/** A static key as its route sends it: a custom raw header, a non-Bearer scheme, or the flavor's way. */
function keyAuth(key: StaticKeySource, flavor: Flavor): StaticAuth {
  if (key.header) {
    return {
      kind: 'static',
      variable: key.variable,
      key: key.value,
      header: key.header,
      value: key.value,
    };
  }
  if (key.scheme) {
    return {
      kind: 'static',
      variable: key.variable,
      key: key.value,
      header: 'authorization',
      value: `${key.scheme} ${key.value}`,
    };
  }
  return staticAuth(key.variable, key.value, flavor, key.bearer);
}

/** The static key variables, plus each installed plugin that could serve the route. */
function configuredBy(route: BuiltInRoute, plugins: readonly ProviderPlugin[]): string {
  const federated = plugins
    .filter((plugin) => plugin.route.name === route.name)
    .map(
      (plugin) =>
        `AWF_AUTH_TYPE=github-oidc with AWF_AUTH_PROVIDER=${plugin.name}${plugin.route.whenSet ? ` and ${plugin.route.whenSet}` : ''}`,
    );
  if (route.name === 'copilot' && plugins.length > 0) {
    federated.push('COPILOT_PROVIDER_BASE_URL with AWF_AUTH_TYPE=github-oidc');
  }
  return [route.configuredBy, ...federated].join(', or ');
}
