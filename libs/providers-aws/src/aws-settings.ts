import type { Setting } from '@keyless/auth-core';

/** GitHub OIDC audience STS expects by default (the IAM OIDC provider's client id). */
export const DEFAULT_AWS_AUDIENCE = 'sts.amazonaws.com';
/** Requested session lifetime, seconds. */
export const DEFAULT_SESSION_DURATION_SECONDS = 3600;
/** STS bounds for DurationSeconds, seconds (the role's MaxSessionDuration may be lower). */
export const MIN_SESSION_DURATION_SECONDS = 900;
export const MAX_SESSION_DURATION_SECONDS = 43_200;
/** Prefix of the derived role session name (`keyless-<run id>-<attempt>`). */
export const DEFAULT_ROLE_SESSION_NAME_PREFIX = 'keyless';

/** IAM role to assume, e.g. `arn:aws:iam::123456789012:role/gh-bedrock`. */
export const ROLE_ARN_SETTING: Setting = {
  env: 'AWF_AUTH_AWS_ROLE_ARN',
  authKey: 'aws-role-arn',
  description:
    'IAM role ARN assumed with AssumeRoleWithWebIdentity (partitions aws, aws-cn, aws-us-gov)',
  required: true,
};

/** Region of the Bedrock endpoint and of the signature; falls back to AWS_REGION. */
export const REGION_SETTING: Setting = {
  env: 'AWF_AUTH_AWS_REGION',
  authKey: 'aws-region',
  description:
    'AWS region for STS and Bedrock signing, e.g. us-east-1 (required unless AWS_REGION is set)',
};

/** The SDK-standard region variable, used when AWF_AUTH_AWS_REGION is unset. */
export const AWS_REGION_SETTING: Setting = {
  env: 'AWS_REGION',
  description: 'Fallback for AWF_AUTH_AWS_REGION',
};

/** RoleSessionName, visible in CloudTrail. */
export const ROLE_SESSION_NAME_SETTING: Setting = {
  env: 'AWF_AUTH_AWS_ROLE_SESSION_NAME',
  authKey: 'aws-role-session-name',
  description: 'Role session name (2-64 characters of [A-Za-z0-9_+=,.@-])',
  default: 'keyless-<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>',
};

/** Requested credential lifetime, seconds. */
export const SESSION_DURATION_SETTING: Setting = {
  env: 'AWF_AUTH_AWS_SESSION_DURATION',
  description: `Session duration in seconds (${MIN_SESSION_DURATION_SECONDS}-${MAX_SESSION_DURATION_SECONDS}, at most the role's MaxSessionDuration)`,
  default: String(DEFAULT_SESSION_DURATION_SECONDS),
};

/** STS endpoint override (private clouds, tests). */
export const STS_ENDPOINT_SETTING: Setting = {
  env: 'AWS_ENDPOINT_URL_STS',
  description: 'STS endpoint URL override, e.g. https://sts.us-east-1.amazonaws.com',
};

/** Audience of the GitHub OIDC token. */
export const AUDIENCE_SETTING: Setting = {
  env: 'AWF_AUTH_OIDC_AUDIENCE',
  authKey: 'audience',
  description: 'Audience of the GitHub OIDC token (the IAM OIDC provider client id)',
  default: DEFAULT_AWS_AUDIENCE,
};

/** The aws plugin's own settings, in reference order. */
export const AWS_SETTINGS: readonly Setting[] = Object.freeze([
  ROLE_ARN_SETTING,
  REGION_SETTING,
  AWS_REGION_SETTING,
  ROLE_SESSION_NAME_SETTING,
  SESSION_DURATION_SETTING,
  STS_ENDPOINT_SETTING,
  AUDIENCE_SETTING,
]);
