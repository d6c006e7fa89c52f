import { ConfigError, type Environment } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GCP_IAM_CREDENTIALS_URL,
  DEFAULT_GCP_SCOPE,
  DEFAULT_GCP_TOKEN_LIFETIME_SECONDS,
  DEFAULT_GCP_TOKEN_URL,
} from './gcp-settings.ts';
import { parseGcpConfig } from './gcp-config.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';
const BASE: Environment = { AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE };

function configErrorOf(env: Environment): ConfigError {
  try {
    parseGcpConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseGcpConfig', () => {
  it('applies the defaults for direct federation', () => {
    const config = parseGcpConfig(BASE);
    expect(config).toMatchObject({
      stsAudience: `//iam.googleapis.com/${RESOURCE}`,
      oidcAudience: `https://iam.googleapis.com/${RESOURCE}`,
      serviceAccount: undefined,
      impersonationUrl: undefined,
      scopes: [DEFAULT_GCP_SCOPE],
      tokenUrl: DEFAULT_GCP_TOKEN_URL,
      iamCredentialsUrl: DEFAULT_GCP_IAM_CREDENTIALS_URL,
      tokenLifetimeSeconds: DEFAULT_GCP_TOKEN_LIFETIME_SECONDS,
    });
  });

  it('returns a deeply frozen value and does not touch the environment', () => {
    const env = { ...BASE };
    const config = parseGcpConfig(env);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.scopes)).toBe(true);
    expect(Object.isFrozen(config.provider)).toBe(true);
    expect(env).toEqual(BASE);
  });

  it('configures impersonation with the lifetime and endpoint overrides', () => {
    const config = parseGcpConfig({
      ...BASE,
      AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: ` //iam.googleapis.com/${RESOURCE} `,
      AWF_AUTH_GCP_SERVICE_ACCOUNT: SA,
      AWF_AUTH_GCP_TOKEN_LIFETIME: '900',
      AWF_AUTH_GCP_TOKEN_URL: 'http://127.0.0.1:8080/v1/token',
      AWF_AUTH_GCP_IAM_CREDENTIALS_URL: 'http://127.0.0.1:8081/iam/',
      AWF_AUTH_OIDC_AUDIENCE: 'my-custom-audience',
    });
    expect(config).toMatchObject({
      stsAudience: `//iam.googleapis.com/${RESOURCE}`,
      oidcAudience: 'my-custom-audience',
      serviceAccount: SA,
      tokenLifetimeSeconds: 900,
      tokenUrl: 'http://127.0.0.1:8080/v1/token',
      iamCredentialsUrl: 'http://127.0.0.1:8081/iam',
      impersonationUrl: `http://127.0.0.1:8081/iam/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
    });
  });

  it('splits scopes on spaces and commas and drops duplicates', () => {
    const config = parseGcpConfig({
      ...BASE,
      AWF_AUTH_GCP_SCOPE: `${DEFAULT_GCP_SCOPE}, https://www.googleapis.com/auth/userinfo.email openid ${DEFAULT_GCP_SCOPE}`,
    });
    expect(config.scopes).toEqual([
      DEFAULT_GCP_SCOPE,
      'https://www.googleapis.com/auth/userinfo.email',
      'openid',
    ]);
  });

  it('leaves the egress proxy to the core: proxy variables do not change the config', () => {
    const config = parseGcpConfig({
      ...BASE,
      HTTPS_PROXY: 'http://proxy.internal:3128',
      NO_PROXY: 'localhost',
    });
    expect(config).toEqual(parseGcpConfig(BASE));
  });

  it.each<[string, Environment, string]>([
    [
      'a missing provider',
      {},
      'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER (engine.auth.workload-identity-provider): is required',
    ],
    ['a blank provider', { AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: '  ' }, 'is required'],
    [
      'a bad service account',
      { ...BASE, AWF_AUTH_GCP_SERVICE_ACCOUNT: 'me@gmail.com' },
      'AWF_AUTH_GCP_SERVICE_ACCOUNT (engine.auth.service-account)',
    ],
    [
      'a lifetime without impersonation',
      { ...BASE, AWF_AUTH_GCP_TOKEN_LIFETIME: '600' },
      'AWF_AUTH_GCP_TOKEN_LIFETIME: only applies when impersonating',
    ],
    [
      'a zero lifetime',
      { ...BASE, AWF_AUTH_GCP_SERVICE_ACCOUNT: SA, AWF_AUTH_GCP_TOKEN_LIFETIME: '0' },
      'AWF_AUTH_GCP_TOKEN_LIFETIME: must be whole seconds from 1 to 43200',
    ],
    [
      'a lifetime over 12 h',
      { ...BASE, AWF_AUTH_GCP_SERVICE_ACCOUNT: SA, AWF_AUTH_GCP_TOKEN_LIFETIME: '43201' },
      'from 1 to 43200',
    ],
    [
      'a lifetime with a unit',
      { ...BASE, AWF_AUTH_GCP_SERVICE_ACCOUNT: SA, AWF_AUTH_GCP_TOKEN_LIFETIME: '3600s' },
      'got "3600s"',
    ],
    [
      'a relative token URL',
      { ...BASE, AWF_AUTH_GCP_TOKEN_URL: '/v1/token' },
      'AWF_AUTH_GCP_TOKEN_URL: must be an absolute http(s) URL',
    ],
    [
      'a non-http token URL',
      { ...BASE, AWF_AUTH_GCP_TOKEN_URL: 'ftp://sts.example/v1/token' },
      'must use https://',
    ],
    [
      'credentials in the IAM URL',
      { ...BASE, AWF_AUTH_GCP_IAM_CREDENTIALS_URL: 'https://u:p@iam.example' },
      'AWF_AUTH_GCP_IAM_CREDENTIALS_URL: must not carry credentials',
    ],
    [
      'a query in the token URL',
      { ...BASE, AWF_AUTH_GCP_TOKEN_URL: 'https://sts.example/v1/token?x=1' },
      'must not carry a query',
    ],
    [
      'an audience with spaces',
      { ...BASE, AWF_AUTH_OIDC_AUDIENCE: 'a b' },
      'AWF_AUTH_OIDC_AUDIENCE (engine.auth.audience): must not contain whitespace',
    ],
    [
      'an http scope',
      { ...BASE, AWF_AUTH_GCP_SCOPE: 'http://www.googleapis.com/auth/cloud-platform' },
      'AWF_AUTH_GCP_SCOPE: "http://www.googleapis.com/auth/cloud-platform" is not an OAuth scope',
    ],
    [
      'a scope list of separators',
      { ...BASE, AWF_AUTH_GCP_SCOPE: ' , ' },
      'AWF_AUTH_GCP_SCOPE: names no scope',
    ],
    [
      'an impersonation URL longer than the SDK accepts',
      {
        ...BASE,
        AWF_AUTH_GCP_SERVICE_ACCOUNT: SA,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: `https://iam.example/${'x'.repeat(200)}`,
      },
      'over 256 characters',
    ],
  ])('refuses %s', (_, env, message) => {
    expect(configErrorOf(env).message).toContain(message);
  });
});
