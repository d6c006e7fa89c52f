import {
  configError,
  readSetting,
  requireSetting,
  type Environment,
  type Setting,
} from '@keyless/auth-core';
import {
  DEFAULT_GCP_IAM_CREDENTIALS_URL,
  DEFAULT_GCP_SCOPE,
  DEFAULT_GCP_TOKEN_LIFETIME_SECONDS,
  DEFAULT_GCP_TOKEN_URL,
  GCP_IAM_CREDENTIALS_URL,
  GCP_OIDC_AUDIENCE,
  GCP_SCOPE,
  GCP_SERVICE_ACCOUNT,
  GCP_TOKEN_LIFETIME,
  GCP_TOKEN_URL,
  GCP_WORKLOAD_IDENTITY_PROVIDER,
  MAX_GCP_TOKEN_LIFETIME_SECONDS,
} from './gcp-settings.ts';
import { impersonationUrl, parseServiceAccount } from './service-account.ts';
import {
  defaultOidcAudience,
  parseWorkloadIdentityProvider,
  stsAudience,
  type WorkloadIdentityProvider,
} from './workload-identity-provider.ts';

/** The validated, frozen configuration of the GCP plugin. */
export interface GcpConfig {
  readonly provider: WorkloadIdentityProvider;
  /** STS `audience`: `//iam.googleapis.com/projects/...`. */
  readonly stsAudience: string;
  /** Audience of the GitHub OIDC token. */
  readonly oidcAudience: string;
  /** Service account to impersonate; undefined for direct federation. */
  readonly serviceAccount: string | undefined;
  /** `generateAccessToken` URL when impersonating. */
  readonly impersonationUrl: string | undefined;
  readonly scopes: readonly string[];
  readonly tokenUrl: string;
  /** IAM Credentials base URL, without a trailing slash. */
  readonly iamCredentialsUrl: string;
  /** Impersonated token lifetime, seconds. */
  readonly tokenLifetimeSeconds: number;
}

// google-auth-library refuses impersonation URLs longer than this (a DoS guard).
const MAX_IMPERSONATION_URL_LENGTH = 256;

/** An http(s) endpoint without credentials, query or fragment; http:// is allowed for private clouds and tests. */
function parseEndpoint(setting: Setting, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(setting, `must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(
      setting,
      `must use https:// (or http:// for a local endpoint), got "${url.protocol}"`,
    );
  }
  if (url.username || url.password) throw configError(setting, 'must not carry credentials');
  if (url.search || url.hash) throw configError(setting, 'must not carry a query or fragment');
  return url;
}

function parseScopes(value: string | undefined): readonly string[] {
  if (value === undefined) return Object.freeze([DEFAULT_GCP_SCOPE]);
  const scopes = [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  for (const scope of scopes) {
    // OAuth scopes are https URLs, or a few bare names (openid, email, profile).
    const valid =
      /^[a-z][a-z0-9._-]*$/i.test(scope) || (URL.canParse(scope) && scope.startsWith('https://'));
    if (!valid)
      throw configError(GCP_SCOPE, `"${scope}" is not an OAuth scope (e.g. ${DEFAULT_GCP_SCOPE})`);
  }
  if (scopes.length === 0) throw configError(GCP_SCOPE, 'names no scope');
  return Object.freeze(scopes);
}

function parseLifetime(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GCP_TOKEN_LIFETIME_SECONDS;
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_GCP_TOKEN_LIFETIME_SECONDS)) {
    throw configError(
      GCP_TOKEN_LIFETIME,
      `must be whole seconds from 1 to ${MAX_GCP_TOKEN_LIFETIME_SECONDS}, got "${value}"`,
    );
  }
  return seconds;
}

/**
 * Validates the GCP plugin's settings once, at startup. Throws a ConfigError
 * naming the variable and its frontmatter key.
 */
export function parseGcpConfig(env: Environment): GcpConfig {
  const provider = parseWorkloadIdentityProvider(
    requireSetting(env, GCP_WORKLOAD_IDENTITY_PROVIDER),
  );
  const oidcAudience = readSetting(env, GCP_OIDC_AUDIENCE) ?? defaultOidcAudience(provider);
  if (/\s/.test(oidcAudience)) throw configError(GCP_OIDC_AUDIENCE, 'must not contain whitespace');

  const serviceAccountValue = readSetting(env, GCP_SERVICE_ACCOUNT);
  const serviceAccount =
    serviceAccountValue === undefined ? undefined : parseServiceAccount(serviceAccountValue);
  const lifetimeValue = readSetting(env, GCP_TOKEN_LIFETIME);
  if (lifetimeValue !== undefined && serviceAccount === undefined) {
    // Direct federation tokens live as long as STS says; failing beats silently ignoring the value.
    throw configError(
      GCP_TOKEN_LIFETIME,
      `only applies when impersonating: set ${GCP_SERVICE_ACCOUNT.env} or remove it (direct federation tokens live as long as STS grants)`,
    );
  }

  const tokenUrl = parseEndpoint(
    GCP_TOKEN_URL,
    readSetting(env, GCP_TOKEN_URL) ?? DEFAULT_GCP_TOKEN_URL,
  ).href;
  const iamCredentialsUrl = parseEndpoint(
    GCP_IAM_CREDENTIALS_URL,
    readSetting(env, GCP_IAM_CREDENTIALS_URL) ?? DEFAULT_GCP_IAM_CREDENTIALS_URL,
  ).href.replace(/\/+$/, '');
  const saUrl =
    serviceAccount === undefined ? undefined : impersonationUrl(iamCredentialsUrl, serviceAccount);
  if (saUrl !== undefined && saUrl.length > MAX_IMPERSONATION_URL_LENGTH) {
    throw configError(
      GCP_IAM_CREDENTIALS_URL,
      `with ${GCP_SERVICE_ACCOUNT.env} gives an impersonation URL over ${MAX_IMPERSONATION_URL_LENGTH} characters, which google-auth-library refuses`,
    );
  }

  return Object.freeze({
    provider,
    stsAudience: stsAudience(provider),
    oidcAudience,
    serviceAccount,
    impersonationUrl: saUrl,
    scopes: parseScopes(readSetting(env, GCP_SCOPE)),
    tokenUrl,
    iamCredentialsUrl,
    tokenLifetimeSeconds: parseLifetime(lifetimeValue),
  });
}
