import { ConfigError, type Environment } from '@keyless/auth-core';
import { copilotFlavor, copilotProviderType } from './copilot-provider-type.ts';
import type { FlavorName } from './flavors.ts';
import { staticKey } from './static-key.ts';

/** A static secret found in the environment, and the header it goes in. */
export interface StaticKeySource {
  /** The variable it came from (for the startup table; never the value). */
  readonly variable: string;
  readonly value: string;
  /** Force `Authorization: Bearer` regardless of the flavor (bearer tokens). */
  readonly bearer?: boolean;
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
  /** The upstream URL (or bare host), the variable that set it, and a base path. */
  upstream(env: Environment): { value: string; variable: string; basePath?: string };
  flavor(env: Environment): FlavorName;
  /** The static key configured for this route, if any. */
  staticKey(env: Environment): StaticKeySource | undefined;
}

function fromEnv(
  env: Environment,
  variable: string,
  bearer?: boolean,
): StaticKeySource | undefined {
  const value = staticKey(env[variable]);
  return value === undefined ? undefined : { variable, value, bearer };
}

function target(env: Environment, variable: string, fallback: string, baseVariable?: string) {
  const value = env[variable]?.trim();
  const basePath = baseVariable ? env[baseVariable]?.trim() || undefined : undefined;
  return value
    ? { value, variable, basePath }
    : { value: fallback, variable: `${variable} (default)`, basePath };
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export const BUILT_IN_ROUTES: readonly BuiltInRoute[] = [
  {
    name: 'openai',
    portVariable: 'KEYLESS_OPENAI_PORT',
    defaultPort: 10000,
    upstreamDoc: '`https://api.openai.com/v1`; `OPENAI_API_TARGET`, `OPENAI_API_BASE_PATH`',
    keyDoc: '`OPENAI_API_KEY` -> `Authorization: Bearer`',
    upstream: (env) =>
      target(env, 'OPENAI_API_TARGET', 'https://api.openai.com/v1', 'OPENAI_API_BASE_PATH'),
    flavor: () => 'openai',
    staticKey: (env) => fromEnv(env, 'OPENAI_API_KEY'),
  },
  {
    name: 'anthropic',
    portVariable: 'KEYLESS_ANTHROPIC_PORT',
    defaultPort: 10001,
    upstreamDoc: '`https://api.anthropic.com`; `ANTHROPIC_API_TARGET`, `ANTHROPIC_API_BASE_PATH`',
    keyDoc: '`ANTHROPIC_API_KEY` -> `x-api-key` (+ `anthropic-version: 2023-06-01` when absent)',
    upstream: (env) =>
      target(env, 'ANTHROPIC_API_TARGET', 'https://api.anthropic.com', 'ANTHROPIC_API_BASE_PATH'),
    flavor: () => 'anthropic',
    staticKey: (env) => fromEnv(env, 'ANTHROPIC_API_KEY'),
  },
  {
    name: 'copilot',
    portVariable: 'KEYLESS_COPILOT_PORT',
    defaultPort: 10002,
    upstreamDoc:
      '`COPILOT_PROVIDER_BASE_URL` (BYOK), else `COPILOT_API_TARGET`, else `https://api.githubcopilot.com`',
    keyDoc:
      'BYOK: `COPILOT_PROVIDER_BEARER_TOKEN` -> `Authorization: Bearer`, else `COPILOT_PROVIDER_API_KEY` -> by `COPILOT_PROVIDER_TYPE` (`azure`: `api-key`, `anthropic`: `x-api-key`, else `Authorization: Bearer`); without BYOK: `COPILOT_GITHUB_TOKEN` -> `Authorization: Bearer`',
    upstream: (env) =>
      env.COPILOT_PROVIDER_BASE_URL?.trim()
        ? { value: env.COPILOT_PROVIDER_BASE_URL.trim(), variable: 'COPILOT_PROVIDER_BASE_URL' }
        : target(env, 'COPILOT_API_TARGET', 'https://api.githubcopilot.com'),
    flavor: copilotFlavor,
    // A BYOK provider gets the provider key; the GitHub token only ever goes to Copilot's own API.
    // Only the azure and anthropic types use their own key header; every other type sends Bearer.
    staticKey: (env) =>
      env.COPILOT_PROVIDER_BASE_URL?.trim()
        ? (fromEnv(env, 'COPILOT_PROVIDER_BEARER_TOKEN', true) ??
          fromEnv(
            env,
            'COPILOT_PROVIDER_API_KEY',
            !['azure', 'anthropic'].includes(copilotProviderType(env)),
          ))
        : fromEnv(env, 'COPILOT_GITHUB_TOKEN', true),
  },
  {
    name: 'gemini',
    portVariable: 'KEYLESS_GEMINI_PORT',
    defaultPort: 10003,
    upstreamDoc: '`https://generativelanguage.googleapis.com`; `GEMINI_API_TARGET`',
    keyDoc: '`GEMINI_API_KEY` -> `x-goog-api-key`',
    upstream: (env) =>
      target(env, 'GEMINI_API_TARGET', 'https://generativelanguage.googleapis.com'),
    flavor: () => 'google',
    staticKey: (env) => fromEnv(env, 'GEMINI_API_KEY'),
  },
  {
    name: 'vertex',
    portVariable: 'KEYLESS_VERTEX_PORT',
    defaultPort: 10004,
    upstreamDoc: '`https://aiplatform.googleapis.com`; `VERTEX_API_TARGET`, `VERTEX_API_BASE_PATH`',
    keyDoc: '`GOOGLE_API_KEY` -> `x-goog-api-key`',
    upstream: (env) =>
      target(env, 'VERTEX_API_TARGET', 'https://aiplatform.googleapis.com', 'VERTEX_API_BASE_PATH'),
    flavor: () => 'google',
    staticKey: (env) => fromEnv(env, 'GOOGLE_API_KEY'),
  },
  {
    name: 'bedrock',
    portVariable: 'KEYLESS_BEDROCK_PORT',
    defaultPort: 10005,
    upstreamDoc:
      '`https://bedrock-runtime.{AWF_AUTH_AWS_REGION or AWS_REGION}.amazonaws.com`; `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`',
    keyDoc: '`AWS_BEARER_TOKEN_BEDROCK` -> `Authorization: Bearer`',
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
  },
];
