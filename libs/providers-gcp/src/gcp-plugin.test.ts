import type { OutgoingRequest, ProviderPlugin } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { applyGcpToken, gcpCredentialKey, gcpPlugin } from './gcp-plugin.ts';
import { GCP_SETTINGS } from './gcp-settings.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';

function request(headers: Record<string, string>): OutgoingRequest {
  return {
    method: 'POST',
    origin: 'https://us-east5-aiplatform.googleapis.com',
    path: '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@20250101:streamRawPredict',
    headers,
  };
}

describe('gcpPlugin', () => {
  it('fits the untyped registry slot', () => {
    // Compile-time: the registry holds ProviderPlugin<unknown, unknown>.
    const registered: ProviderPlugin = gcpPlugin;
    expect(registered.name).toBe('gcp');
  });

  it('declares the provider, auth type, copilot aliases and route', () => {
    expect(gcpPlugin.name).toBe('gcp');
    expect(gcpPlugin.authTypes).toEqual(['github-oidc']);
    expect(gcpPlugin.copilotProviderTypes).toEqual(['vertex', 'gcp']);
    expect(gcpPlugin.route).toEqual({ name: 'vertex' });
    expect(gcpPlugin.signsBody).toBeFalsy();
  });

  it('lists its settings with the frontmatter keys of SPEC section 4', () => {
    const keys = Object.fromEntries(GCP_SETTINGS.map((setting) => [setting.env, setting.authKey]));
    expect(gcpPlugin.settings).toBe(GCP_SETTINGS);
    expect(keys).toEqual({
      AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: 'workload-identity-provider',
      AWF_AUTH_GCP_SERVICE_ACCOUNT: 'service-account',
      AWF_AUTH_OIDC_AUDIENCE: 'audience',
      AWF_AUTH_GCP_SCOPE: undefined,
      AWF_AUTH_GCP_TOKEN_LIFETIME: undefined,
      AWF_AUTH_GCP_TOKEN_URL: undefined,
      AWF_AUTH_GCP_IAM_CREDENTIALS_URL: undefined,
    });
    for (const setting of GCP_SETTINGS) expect(setting.description).not.toBe('');
  });
});

describe('applyGcpToken', () => {
  it('sets the bearer token, drops a client API key and keeps every other header', () => {
    const outgoing = request({
      authorization: 'Bearer placeholder',
      'x-goog-api-key': 'client-key',
      'anthropic-version': 'vertex-2023-10-16',
      'content-type': 'application/json',
    });
    applyGcpToken({ accessToken: 'ya29.real-token' }, outgoing);
    expect(outgoing.headers).toEqual({
      authorization: 'Bearer ya29.real-token',
      'anthropic-version': 'vertex-2023-10-16',
      'content-type': 'application/json',
    });
  });

  it('leaves the path untouched (@ and : pass unchanged)', () => {
    const outgoing = request({});
    applyGcpToken({ accessToken: 'ya29.real-token' }, outgoing);
    expect(outgoing.path).toBe(
      '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@20250101:streamRawPredict',
    );
  });
});

describe('gcpCredentialKey', () => {
  const key = (env: Record<string, string>) =>
    gcpCredentialKey(
      gcpPlugin.parseConfig({ AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE, ...env }),
    );

  it('is equal for equal identities, whatever the prefix spelling', () => {
    expect(key({})).toBe(
      key({ AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: `//iam.googleapis.com/${RESOURCE}` }),
    );
  });

  it('differs by identity, audience and scope', () => {
    const keys = new Set([
      key({}),
      key({ AWF_AUTH_GCP_SERVICE_ACCOUNT: SA }),
      key({ AWF_AUTH_OIDC_AUDIENCE: 'custom-audience' }),
      key({ AWF_AUTH_GCP_SCOPE: 'https://www.googleapis.com/auth/cloud-platform.read-only' }),
    ]);
    expect(keys.size).toBe(4);
  });

  it('names the provider and carries no proxy credentials', () => {
    const value = key({ HTTPS_PROXY: 'http://ci:proxy-secret-1@proxy:3128' });
    expect(value).toContain('gcp');
    expect(value).toContain(RESOURCE);
    expect(value).not.toContain('proxy-secret-1');
  });
});
