import type { Setting } from '@keyless/auth-core';

/** Sovereign clouds `AWF_AUTH_AZURE_CLOUD` accepts. */
export type AzureCloud = 'public' | 'usgovernment' | 'china';

/** What a cloud decides: where Entra lives and which resource Azure OpenAI tokens are for. */
export interface AzureCloudProfile {
  /** Entra authority host, an https origin. */
  readonly authorityHost: string;
  /** Default token scope for Azure OpenAI / Cognitive Services in that cloud. */
  readonly scope: string;
}

/**
 * Authority host and default scope per cloud. The hosts are the SDK's `AzureAuthorityHosts`, written
 * out so that reading settings does not load @azure/identity (a test keeps them equal).
 */
export const AZURE_CLOUD_PROFILES: Readonly<Record<AzureCloud, AzureCloudProfile>> = Object.freeze({
  public: Object.freeze({
    authorityHost: 'https://login.microsoftonline.com',
    scope: 'https://cognitiveservices.azure.com/.default',
  }),
  usgovernment: Object.freeze({
    authorityHost: 'https://login.microsoftonline.us',
    scope: 'https://cognitiveservices.azure.us/.default',
  }),
  // SPEC section 4 is silent on China; the Azure SDKs use the .cn Cognitive Services resource.
  china: Object.freeze({
    authorityHost: 'https://login.chinacloudapi.cn',
    scope: 'https://cognitiveservices.azure.cn/.default',
  }),
});

/** Cloud used when `AWF_AUTH_AZURE_CLOUD` is unset. */
export const DEFAULT_AZURE_CLOUD: AzureCloud = 'public';

/** Audience of the GitHub token when `AWF_AUTH_OIDC_AUDIENCE` is unset (what Entra federated credentials expect). */
export const DEFAULT_AZURE_AUDIENCE = 'api://AzureADTokenExchange';

/** `AWF_AUTH_AZURE_TENANT_ID`: the Entra tenant, a GUID or a verified domain. */
export const AZURE_TENANT_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_AZURE_TENANT_ID',
  authKey: 'azure-tenant-id',
  description:
    'Entra tenant (directory) id: a GUID or a verified domain such as contoso.onmicrosoft.com',
  required: true,
});

/** `AWF_AUTH_AZURE_CLIENT_ID`: the app registration (or user-assigned identity) holding the federated credential. */
export const AZURE_CLIENT_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_AZURE_CLIENT_ID',
  authKey: 'azure-client-id',
  description:
    'Application (client) id, a GUID, of the app registration that holds the federated credential',
  required: true,
});

/** `AWF_AUTH_AZURE_SCOPE`: the scope requested from Entra. */
export const AZURE_SCOPE: Setting = Object.freeze({
  env: 'AWF_AUTH_AZURE_SCOPE',
  authKey: 'azure-scope',
  description: 'Scope of the Entra token, `<resource>/.default`',
  default: `${AZURE_CLOUD_PROFILES.public.scope} (${AZURE_CLOUD_PROFILES.usgovernment.scope} for usgovernment, ${AZURE_CLOUD_PROFILES.china.scope} for china)`,
});

/** `AWF_AUTH_AZURE_CLOUD`: picks the authority host and the default scope. */
export const AZURE_CLOUD: Setting = Object.freeze({
  env: 'AWF_AUTH_AZURE_CLOUD',
  authKey: 'azure-cloud',
  description: 'Azure cloud: public, usgovernment or china (authority host and default scope)',
  default: DEFAULT_AZURE_CLOUD,
});

/** `AZURE_AUTHORITY_HOST`: the Azure SDKs' own override of the Entra authority (private clouds, tests). */
export const AZURE_AUTHORITY_HOST: Setting = Object.freeze({
  env: 'AZURE_AUTHORITY_HOST',
  description: 'Entra authority host override, an https URL; wins over AWF_AUTH_AZURE_CLOUD',
});

/** `AWF_AUTH_OIDC_AUDIENCE`: the audience of the GitHub OIDC token presented to Entra. */
export const AZURE_AUDIENCE: Setting = Object.freeze({
  env: 'AWF_AUTH_OIDC_AUDIENCE',
  authKey: 'audience',
  description:
    "Audience of the GitHub OIDC token; must be listed in the federated credential's audiences",
  default: DEFAULT_AZURE_AUDIENCE,
});

/** Every setting of the azure plugin, in reference order. */
export const AZURE_SETTINGS: readonly Setting[] = Object.freeze([
  AZURE_TENANT_ID,
  AZURE_CLIENT_ID,
  AZURE_SCOPE,
  AZURE_CLOUD,
  AZURE_AUTHORITY_HOST,
  AZURE_AUDIENCE,
]);
