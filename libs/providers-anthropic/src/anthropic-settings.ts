import type { Setting } from '@keyless/auth-core';

/** Audience of the GitHub token when `AWF_AUTH_OIDC_AUDIENCE` is unset (what Anthropic federation rules expect by default). */
export const DEFAULT_ANTHROPIC_AUDIENCE = 'https://api.anthropic.com';

/** Anthropic's token endpoint (RFC 7523 jwt-bearer grant) when `AWF_AUTH_ANTHROPIC_TOKEN_URL` is unset. */
export const DEFAULT_ANTHROPIC_TOKEN_URL = 'https://api.anthropic.com/v1/oauth/token';

/** `AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID`: the federation rule that decides which GitHub tokens may federate. */
export const ANTHROPIC_FEDERATION_RULE_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID',
  authKey: 'federation-rule-id',
  description: 'Tagged id (`fdrl_...`) of the federation rule in the Claude Console',
  required: true,
});

/** `AWF_AUTH_ANTHROPIC_ORGANIZATION_ID`: the Anthropic organization of the service account. */
export const ANTHROPIC_ORGANIZATION_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_ANTHROPIC_ORGANIZATION_ID',
  authKey: 'organization-id',
  description: 'UUID of the Anthropic organization',
  required: true,
});

/** `AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID`: the service account the access token is bound to. */
export const ANTHROPIC_SERVICE_ACCOUNT_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID',
  authKey: 'service-account-id',
  description: 'Tagged id (`svac_...`) of the service account the token is bound to',
  required: true,
});

/** `AWF_AUTH_ANTHROPIC_WORKSPACE_ID`: the workspace the token is scoped to (needed when the rule covers several). */
export const ANTHROPIC_WORKSPACE_ID: Setting = Object.freeze({
  env: 'AWF_AUTH_ANTHROPIC_WORKSPACE_ID',
  authKey: 'workspace-id',
  description:
    "Tagged id (`wrkspc_...`) or `default`; required when the federation rule covers several workspaces, else the rule's own",
});

/** `AWF_AUTH_ANTHROPIC_TOKEN_URL`: the token endpoint (private deployments, tests). */
export const ANTHROPIC_TOKEN_URL: Setting = Object.freeze({
  env: 'AWF_AUTH_ANTHROPIC_TOKEN_URL',
  description: 'Token endpoint of the jwt-bearer exchange; https (plain http only to loopback)',
  default: DEFAULT_ANTHROPIC_TOKEN_URL,
});

/** `AWF_AUTH_OIDC_AUDIENCE`: the audience of the GitHub token presented to Anthropic. */
export const ANTHROPIC_AUDIENCE: Setting = Object.freeze({
  env: 'AWF_AUTH_OIDC_AUDIENCE',
  authKey: 'audience',
  description: "Audience of the GitHub OIDC token; must match the federation rule's audience",
  default: DEFAULT_ANTHROPIC_AUDIENCE,
});

/** Every setting of the anthropic plugin, in reference order. */
export const ANTHROPIC_SETTINGS: readonly Setting[] = Object.freeze([
  ANTHROPIC_FEDERATION_RULE_ID,
  ANTHROPIC_ORGANIZATION_ID,
  ANTHROPIC_SERVICE_ACCOUNT_ID,
  ANTHROPIC_WORKSPACE_ID,
  ANTHROPIC_TOKEN_URL,
  ANTHROPIC_AUDIENCE,
]);
