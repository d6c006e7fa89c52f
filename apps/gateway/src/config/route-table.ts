import { validateHeaderName } from 'node:http';
import { ConfigError, type Environment } from '@keyless/auth-core';
import { byokExtraHeaders } from './byok-extra-headers.ts';
import { copilotApiTarget, copilotIntegrationHeaders, githubTokenScheme } from './copilot-api.ts';
import { copilotFlavor, copilotProviderType } from './copilot-provider-type.ts';
import type { FlavorName } from './flavors.ts';
import { readVertexLocation } from './route-settings.ts';
import { staticKey } from './static-key.ts';

/** A static secret found in the environment, and how it is sent. */
export interface StaticKeySource {
  /** The variable it came from (for the startup table; never the value). */
  readonly variable: string;
  readonly value: string;
  /** Force `Authorization: Bearer` regardless of the flavor (bearer tokens). */
  readonly bearer?: boolean;
  /** A custom header that carries the raw key instead (AWF_OPENAI_AUTH_HEADER, ...). */
  readonly header?: string;
  /** `Authorization` scheme other than `Bearer` (GitHub tokens on enterprise Copilot hosts). */
  readonly scheme?: 'token';
}

/** Where a built-in route forwards to, before parsing. */
export interface RouteTarget {
  /** URL or bare host name. */
  readonly value: string;
  /** What set it, for error messages, e.g. `OPENAI_API_TARGET (default)`. */
  readonly variable: string;
  readonly basePath?: string;
}

/** A route of the api-proxy sidecar (plus Bedrock): data, not auth logic. */
export interface BuiltInRoute {
  readonly name: string;
  readonly portVariable: string;
  readonly defaultPort: number;
  /** For the configuration reference: the upstream default and the variables that change it. */
  readonly upstreamDoc: string;
  /** For the configuration reference: static key variables and the header they go in. */
  readonly keyDoc: string;
  /** The static key variables that would configure the route (for `route_not_configured`). */
  readonly configuredBy: string;
  upstream(env: Environment): RouteTarget;
  flavor(env: Environment): FlavorName;
  /** The static key configured for this route, if any. */
  staticKey(env: Environment): StaticKeySource | undefined;
  /** Headers set on every upstream request of the route (never a credential). */
  extraHeaders(env: Environment): Record<string, string>;
}

function fromEnv(
  env: Environment,
  variable: string,
  bearer?: boolean,
): StaticKeySource | undefined {
  const value = staticKey(env[variable]);
  return value === undefined ? undefined : { variable, value, bearer };
}

/** A key that AWF_*_AUTH_HEADER may move into a custom header, raw (internal gateways). */
function withAuthHeader(
  env: Environment,
  headerVariable: string,
  key: StaticKeySource | undefined,
): StaticKeySource | undefined {
  const header = env[headerVariable]?.trim();
  if (!header || !key) return key;
  try {
    validateHeaderName(header);
  } catch {
    throw new ConfigError(`${headerVariable}: ${JSON.stringify(header)} is not a header name`);
  }
  return { ...key, header: header.toLowerCase() };
}

function target(
  env: Environment,
  variable: string,
  fallback: string,
  baseVariable?: string,
): RouteTarget {
  const value = env[variable]?.trim();
  const basePath = baseVariable ? env[baseVariable]?.trim() || undefined : undefined;
  return value
    ? { value, variable, basePath }
    : { value: fallback, variable: `${variable} (default)`, basePath };
}

function hostOf(value: string): string | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`).hostname;
  } catch {
    return undefined;
  }
}

/** As in the api-proxy: the public OpenAI host, named without a path, keeps the `/v1` base path. */
function isBarePublicOpenAi(value: string): boolean {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  try {
    const url = new URL(text);
    return url.host === 'api.openai.com' && url.protocol === 'https:' && url.pathname === '/';
  } catch {
    return false;
  }
}

/**
 * As in the api-proxy's openai adapter: COPILOT_PROVIDER_TYPE=azure (without
 * federation) also makes the openai route an Azure OpenAI BYOK route, key raw
 * in `api-key`. Unlike the api-proxy, only while OPENAI_API_KEY is unset: an
 * OpenAI key keeps OpenAI's own target and scheme.
 */
const isAzureByokOpenAi = (env: Environment) =>
  copilotProviderType(env) === 'azure' &&
  env.AWF_AUTH_TYPE?.trim().toLowerCase() !== 'github-oidc' &&
  staticKey(env.OPENAI_API_KEY) === undefined;

/** The openai route's key: OPENAI_API_KEY, else (azure BYOK) COPILOT_PROVIDER_API_KEY in `api-key`. */
function openAiKey(env: Environment): StaticKeySource | undefined {
  if (!isAzureByokOpenAi(env)) {
    return withAuthHeader(env, 'AWF_OPENAI_AUTH_HEADER', fromEnv(env, 'OPENAI_API_KEY'));
  }
  const sent = withAuthHeader(
    env,
    'AWF_OPENAI_AUTH_HEADER',
    fromEnv(env, 'COPILOT_PROVIDER_API_KEY'),
  );
  return sent && !sent.header ? { ...sent, header: 'api-key' } : sent;
}

/** The openai route's upstream: OPENAI_API_TARGET, else (azure BYOK) COPILOT_PROVIDER_BASE_URL, else the public API. */
function openAiTarget(env: Environment): RouteTarget {
  const byok = env.COPILOT_PROVIDER_BASE_URL?.trim();
  if (!env.OPENAI_API_TARGET?.trim() && byok && isAzureByokOpenAi(env)) {
    const basePath = env.OPENAI_API_BASE_PATH?.trim() || undefined;
    // OPENAI_API_BASE_PATH replaces the base URL's own path, as in the api-proxy.
    return {
      value: basePath ? originOf(byok) : byok,
      variable: 'COPILOT_PROVIDER_BASE_URL (COPILOT_PROVIDER_TYPE=azure)',
      basePath,
    };
  }
  const t = target(env, 'OPENAI_API_TARGET', 'https://api.openai.com', 'OPENAI_API_BASE_PATH');
  return t.basePath === undefined && isBarePublicOpenAi(t.value) ? { ...t, basePath: '/v1' } : t;
}

/** The origin of a URL or bare host; the value itself when it does not parse (parseUpstream names the error). */
function originOf(value: string): string {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`).origin;
  } catch {
    return value;
  }
}

const none = (): Record<string, string> => ({});
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const isByok = (env: Environment) => Boolean(env.COPILOT_PROVIDER_BASE_URL?.trim());

export const BUILT_IN_ROUTES: readonly BuiltInRoute[] = [
  {
    name: 'openai',
    portVariable: 'KEYLESS_OPENAI_PORT',
    defaultPort: 10000,
    upstreamDoc:
      '`https://api.openai.com/v1`; `OPENAI_API_TARGET`, `OPENAI_API_BASE_PATH` (the bare public host keeps `/v1`); azure BYOK (see key) without `OPENAI_API_TARGET`: `COPILOT_PROVIDER_BASE_URL`',
    keyDoc:
      '`OPENAI_API_KEY` -> `Authorization: Bearer` (or raw in `AWF_OPENAI_AUTH_HEADER`); without it, with `COPILOT_PROVIDER_TYPE=azure` (and no federation): `COPILOT_PROVIDER_API_KEY` -> `api-key`',
    configuredBy: 'OPENAI_API_KEY, or COPILOT_PROVIDER_TYPE=azure with COPILOT_PROVIDER_API_KEY',
    upstream: openAiTarget,
    flavor: () => 'openai',
    staticKey: openAiKey,
    extraHeaders: none,
  },
  {
    name: 'anthropic',
    portVariable: 'KEYLESS_ANTHROPIC_PORT',
    defaultPort: 10001,
    upstreamDoc: '`https://api.anthropic.com`; `ANTHROPIC_API_TARGET`, `ANTHROPIC_API_BASE_PATH`',
    keyDoc:
      '`ANTHROPIC_API_KEY` -> `x-api-key` (or raw in `AWF_ANTHROPIC_AUTH_HEADER`; + `anthropic-version: 2023-06-01` when absent)',
    configuredBy: 'ANTHROPIC_API_KEY',
    upstream: (env) =>
      target(env, 'ANTHROPIC_API_TARGET', 'https://api.anthropic.com', 'ANTHROPIC_API_BASE_PATH'),
    flavor: () => 'anthropic',
    staticKey: (env) =>
      withAuthHeader(env, 'AWF_ANTHROPIC_AUTH_HEADER', fromEnv(env, 'ANTHROPIC_API_KEY')),
    extraHeaders: none,
  },
  {
    name: 'copilot',
    portVariable: 'KEYLESS_COPILOT_PORT',
    defaultPort: 10002,
    upstreamDoc:
      '`COPILOT_PROVIDER_BASE_URL` (BYOK), else `COPILOT_API_TARGET`, else derived from `GITHUB_SERVER_URL` (GHEC, GHES), else `https://api.githubcopilot.com`; `COPILOT_API_BASE_PATH`',
    keyDoc:
      'BYOK: `COPILOT_PROVIDER_BEARER_TOKEN` -> `Authorization: Bearer`, else `COPILOT_PROVIDER_API_KEY` -> by `COPILOT_PROVIDER_TYPE` (`azure`: `api-key`, `anthropic`: `x-api-key`, else `Authorization: Bearer`), + `AWF_BYOK_EXTRA_HEADERS`; without BYOK: `COPILOT_GITHUB_TOKEN` -> `Authorization: Bearer` (`token` on enterprise, business, GHEC and GHES hosts, except a `github_pat_` token: always `Bearer`), + `Copilot-Integration-Id`',
    configuredBy:
      'COPILOT_GITHUB_TOKEN, or COPILOT_PROVIDER_BASE_URL with COPILOT_PROVIDER_API_KEY or COPILOT_PROVIDER_BEARER_TOKEN',
    upstream: (env) => {
      const basePath = env.COPILOT_API_BASE_PATH?.trim() || undefined;
      const byok = env.COPILOT_PROVIDER_BASE_URL?.trim();
      if (byok) return { value: byok, variable: 'COPILOT_PROVIDER_BASE_URL', basePath };
      return { ...copilotApiTarget(env), basePath };
    },
    flavor: copilotFlavor,
    // A BYOK provider gets the provider key; the GitHub token only ever goes to Copilot's own API.
    // Only the azure and anthropic types use their own key header; every other type sends Bearer.
    staticKey: (env) => {
      if (isByok(env)) {
        return (
          fromEnv(env, 'COPILOT_PROVIDER_BEARER_TOKEN', true) ??
          fromEnv(
            env,
            'COPILOT_PROVIDER_API_KEY',
            !['azure', 'anthropic'].includes(copilotProviderType(env)),
          )
        );
      }
      const key = fromEnv(env, 'COPILOT_GITHUB_TOKEN', true);
      const host = hostOf(copilotApiTarget(env).value);
      return key && host && githubTokenScheme(host, env, key.value) === 'token'
        ? { ...key, scheme: 'token' }
        : key;
    },
    // The integration id is GitHub's; a BYOK provider gets the operator's extra headers instead.
    extraHeaders: (env) => (isByok(env) ? byokExtraHeaders(env) : copilotIntegrationHeaders(env)),
  },
  {
    name: 'gemini',
    portVariable: 'KEYLESS_GEMINI_PORT',
    defaultPort: 10003,
    upstreamDoc:
      '`https://generativelanguage.googleapis.com`; `GEMINI_API_TARGET`, `GEMINI_API_BASE_PATH`',
    keyDoc: '`GEMINI_API_KEY` -> `x-goog-api-key`',
    configuredBy: 'GEMINI_API_KEY',
    upstream: (env) =>
      target(
        env,
        'GEMINI_API_TARGET',
        'https://generativelanguage.googleapis.com',
        'GEMINI_API_BASE_PATH',
      ),
    flavor: () => 'google',
    staticKey: (env) => fromEnv(env, 'GEMINI_API_KEY'),
    extraHeaders: none,
  },
  {
    name: 'vertex',
    portVariable: 'KEYLESS_VERTEX_PORT',
    defaultPort: 10004,
    upstreamDoc:
      '`https://aiplatform.googleapis.com` (`https://{GOOGLE_CLOUD_LOCATION}-aiplatform.googleapis.com` when set); `VERTEX_API_TARGET`, `VERTEX_API_BASE_PATH`',
    keyDoc: '`GOOGLE_API_KEY` -> `x-goog-api-key`',
    configuredBy: 'GOOGLE_API_KEY',
    upstream: (env) => {
      const location = readVertexLocation(env);
      const host =
        location && location !== 'global'
          ? `https://${location}-aiplatform.googleapis.com`
          : 'https://aiplatform.googleapis.com';
      return target(env, 'VERTEX_API_TARGET', host, 'VERTEX_API_BASE_PATH');
    },
    flavor: () => 'google',
    staticKey: (env) => fromEnv(env, 'GOOGLE_API_KEY'),
    extraHeaders: none,
  },
  {
    name: 'bedrock',
    portVariable: 'KEYLESS_BEDROCK_PORT',
    defaultPort: 10005,
    upstreamDoc:
      '`https://bedrock-runtime.{AWF_AUTH_AWS_REGION or AWS_REGION}.amazonaws.com`; `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`',
    keyDoc: '`AWS_BEARER_TOKEN_BEDROCK` -> `Authorization: Bearer`',
    configuredBy: 'AWS_BEARER_TOKEN_BEDROCK',
    upstream: (env) => {
      const endpoint = env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME?.trim();
      if (endpoint) return { value: endpoint, variable: 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME' };
      const variable = env.AWF_AUTH_AWS_REGION?.trim()
        ? 'AWF_AUTH_AWS_REGION (engine.auth.aws-region)'
        : 'AWS_REGION';
      const region = env.AWF_AUTH_AWS_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1';
      // The region becomes part of the default host name.
      if (!REGION.test(region)) {
        throw new ConfigError(`${variable}: not a region name: ${JSON.stringify(region)}`);
      }
      return {
        value: `https://bedrock-runtime.${region}.amazonaws.com`,
        variable: `${variable} (default host)`,
      };
    },
    flavor: () => 'bedrock',
    staticKey: (env) => fromEnv(env, 'AWS_BEARER_TOKEN_BEDROCK', true),
    extraHeaders: none,
  },
];
