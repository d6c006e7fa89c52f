import { configError, readSetting, requireSetting, type Environment } from '@keyless/auth-core';
import {
  AZURE_AUDIENCE,
  AZURE_AUTHORITY_HOST,
  AZURE_CLIENT_ID,
  AZURE_CLOUD,
  AZURE_CLOUD_PROFILES,
  AZURE_SCOPE,
  AZURE_TENANT_ID,
  DEFAULT_AZURE_AUDIENCE,
  DEFAULT_AZURE_CLOUD,
  type AzureCloud,
} from './azure-settings.ts';

/** The validated, frozen configuration of one Azure federated identity. */
export interface AzureConfig {
  /** Tenant GUID or domain, lower-case. */
  readonly tenantId: string;
  /** Application (client) id, lower-case GUID. */
  readonly clientId: string;
  readonly cloud: AzureCloud;
  /** Entra authority host: an https origin (plus optional path), without a trailing slash. */
  readonly authorityHost: string;
  /** Single scope requested from Entra, `<resource>/.default`. */
  readonly scope: string;
  /** Audience of the GitHub OIDC token. */
  readonly audience: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A DNS name with at least two labels: the tenant becomes a path segment of the authority URL.
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
const MULTI_TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);

// The names azure/login and the az CLI use for the same clouds.
const CLOUD_ALIASES: Readonly<Record<string, AzureCloud>> = {
  public: 'public',
  azurecloud: 'public',
  usgovernment: 'usgovernment',
  azureusgovernment: 'usgovernment',
  china: 'china',
  azurechinacloud: 'china',
};

/**
 * Validates the azure plugin's settings in `env` into a frozen config. Throws a ConfigError that
 * names the environment variable and its `engine.auth` key.
 */
export function parseAzureConfig(env: Environment): AzureConfig {
  const tenantId = parseTenant(requireSetting(env, AZURE_TENANT_ID));
  const clientId = requireSetting(env, AZURE_CLIENT_ID);
  if (!GUID.test(clientId)) {
    throw configError(
      AZURE_CLIENT_ID,
      `must be the application (client) id, a GUID; got "${clientId}"`,
    );
  }

  const cloudValue = readSetting(env, AZURE_CLOUD) ?? DEFAULT_AZURE_CLOUD;
  const cloud = CLOUD_ALIASES[cloudValue.toLowerCase()];
  if (cloud === undefined) {
    throw configError(AZURE_CLOUD, `must be public, usgovernment or china; got "${cloudValue}"`);
  }
  const profile = AZURE_CLOUD_PROFILES[cloud];
  const authorityHost =
    parseAuthorityHost(readSetting(env, AZURE_AUTHORITY_HOST)) ?? profile.authorityHost;

  const scope = readSetting(env, AZURE_SCOPE) ?? profile.scope;
  if (!/^\S+\/\.default$/.test(scope)) {
    throw configError(
      AZURE_SCOPE,
      `must be one "<resource>/.default" scope (client-credential tokens are per resource), e.g. ${profile.scope}; got "${scope}"`,
    );
  }

  const audience = readSetting(env, AZURE_AUDIENCE) ?? DEFAULT_AZURE_AUDIENCE;
  if (/\s/.test(audience))
    throw configError(AZURE_AUDIENCE, `must be a single audience; got "${audience}"`);
  if (audience.endsWith('/.default')) {
    throw configError(
      AZURE_AUDIENCE,
      `"${audience}" is an Entra scope, not a GitHub token audience: use the audience of the federated credential ` +
        `(usually ${DEFAULT_AZURE_AUDIENCE}) and put the scope in ${AZURE_SCOPE.env} (engine.auth.${AZURE_SCOPE.authKey})`,
    );
  }

  return Object.freeze({
    tenantId,
    clientId: clientId.toLowerCase(),
    cloud,
    authorityHost,
    scope,
    audience,
  });
}

function parseTenant(value: string): string {
  const tenant = value.toLowerCase();
  if (MULTI_TENANT_ALIASES.has(tenant)) {
    throw configError(
      AZURE_TENANT_ID,
      `"${value}" is a multi-tenant alias; federated app tokens need the tenant's GUID or verified domain`,
    );
  }
  if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    throw configError(
      AZURE_TENANT_ID,
      `must be a tenant GUID or a verified domain (e.g. contoso.onmicrosoft.com); got "${value}"`,
    );
  }
  return tenant;
}

/** `AZURE_AUTHORITY_HOST`: https only (the SDK refuses anything else); no credentials, query or fragment. */
function parseAuthorityHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(
      AZURE_AUTHORITY_HOST,
      `must be an https URL such as https://login.microsoftonline.com; got "${value}"`,
    );
  }
  if (url.protocol !== 'https:') {
    throw configError(
      AZURE_AUTHORITY_HOST,
      `must use https (the Azure SDK refuses other schemes); got "${value}"`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw configError(
      AZURE_AUTHORITY_HOST,
      'must be a plain https origin, without credentials, query or fragment',
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
