import type { Setting } from '@keyless/auth-core';

/** Scope requested when `AWF_AUTH_GCP_SCOPE` is unset (Vertex AI accepts it). */
export const DEFAULT_GCP_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Google STS token-exchange endpoint. */
export const DEFAULT_GCP_TOKEN_URL = 'https://sts.googleapis.com/v1/token';
/** Base URL of the IAM Service Account Credentials API. */
export const DEFAULT_GCP_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';
/** Lifetime requested for an impersonated service-account token, seconds. */
export const DEFAULT_GCP_TOKEN_LIFETIME_SECONDS = 3600;
/**
 * Longest impersonated lifetime Google grants, seconds (12 h); above 3600 s only
 * when the org policy `constraints/iam.allowServiceAccountCredentialLifetimeExtension` allows it.
 */
export const MAX_GCP_TOKEN_LIFETIME_SECONDS = 43_200;
/** Host whose resource names identify workload identity providers (STS audience `//iam.googleapis.com/...`). */
export const GCP_IAM_RESOURCE_HOST = 'iam.googleapis.com';

/** The workload identity provider to federate with. */
export const GCP_WORKLOAD_IDENTITY_PROVIDER: Setting = {
  env: 'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER',
  authKey: 'workload-identity-provider',
  description:
    'Workload identity provider: projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER (an //iam.googleapis.com/ prefix is accepted)',
  required: true,
};

/** Service account to impersonate; direct federation when unset. */
export const GCP_SERVICE_ACCOUNT: Setting = {
  env: 'AWF_AUTH_GCP_SERVICE_ACCOUNT',
  authKey: 'service-account',
  description:
    'Service account email to impersonate (NAME@PROJECT.iam.gserviceaccount.com); direct federation when unset',
};

/** OAuth scopes of the access token. */
export const GCP_SCOPE: Setting = {
  env: 'AWF_AUTH_GCP_SCOPE',
  description: 'OAuth scopes of the access token, separated by spaces or commas',
  default: DEFAULT_GCP_SCOPE,
};

/** STS endpoint override (private clouds, tests). */
export const GCP_TOKEN_URL: Setting = {
  env: 'AWF_AUTH_GCP_TOKEN_URL',
  description: 'Google STS token endpoint',
  default: DEFAULT_GCP_TOKEN_URL,
};

/** IAM Credentials endpoint override (private clouds, tests). */
export const GCP_IAM_CREDENTIALS_URL: Setting = {
  env: 'AWF_AUTH_GCP_IAM_CREDENTIALS_URL',
  description: 'Base URL of the IAM Service Account Credentials API (impersonation)',
  default: DEFAULT_GCP_IAM_CREDENTIALS_URL,
};

/** Impersonated token lifetime. */
export const GCP_TOKEN_LIFETIME: Setting = {
  env: 'AWF_AUTH_GCP_TOKEN_LIFETIME',
  description: `Lifetime of the impersonated service-account token in seconds (1-${MAX_GCP_TOKEN_LIFETIME_SECONDS}; above 3600 needs the lifetime-extension org policy); impersonation only`,
  default: String(DEFAULT_GCP_TOKEN_LIFETIME_SECONDS),
};

/** Audience of the GitHub OIDC token. */
export const GCP_OIDC_AUDIENCE: Setting = {
  env: 'AWF_AUTH_OIDC_AUDIENCE',
  authKey: 'audience',
  description: "Audience of the GitHub OIDC token; must be one of the provider's allowed audiences",
  default: 'https://iam.googleapis.com/{workload identity provider}',
};

/** The GCP plugin's settings, in reference order. */
export const GCP_SETTINGS: readonly Setting[] = Object.freeze([
  GCP_WORKLOAD_IDENTITY_PROVIDER,
  GCP_SERVICE_ACCOUNT,
  GCP_OIDC_AUDIENCE,
  GCP_SCOPE,
  GCP_TOKEN_LIFETIME,
  GCP_TOKEN_URL,
  GCP_IAM_CREDENTIALS_URL,
]);
