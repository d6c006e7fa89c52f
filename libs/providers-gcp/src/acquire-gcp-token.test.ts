import { ExchangeError } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import type { IdentityPoolClientOptions } from 'google-auth-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  acquireGcpToken,
  GCP_FALLBACK_LIFETIME_MS,
  GCP_SUBJECT_TOKEN_TYPE,
} from './acquire-gcp-token.ts';
import { GcpAudienceMismatchError, GcpMalformedAnswerError } from './errors.ts';
import { GCP_IAM_HOP, GCP_STS_HOP } from './gcp-hops.ts';
import { GcpTransport } from './gcp-transport.ts';
import type { GcpClientFactory, GcpTokenClient, GcpTransports } from './identity-pool-client.ts';
import { parseGcpConfig } from './gcp-config.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';
const NOW = Date.UTC(2026, 0, 1);
const direct = parseGcpConfig({ AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE });
const impersonating = parseGcpConfig({
  AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE,
  AWF_AUTH_GCP_SERVICE_ACCOUNT: SA,
  AWF_AUTH_GCP_TOKEN_LIFETIME: '1200',
  AWF_AUTH_GCP_SCOPE: 'https://www.googleapis.com/auth/cloud-platform.read-only',
});

function fakeContext() {
  let serial = 0;
  const context = fakeAcquireContext({ mint: async () => `github-jwt-${++serial}` });
  return {
    context,
    minted: context.audiences,
    secrets: context.secrets,
    controller: context.controller,
  };
}

/** A stand-in for the SDK client: calls the supplier like the SDK, then answers as scripted. */
function fakeFactory(
  answer: (subjectToken: string) => { token?: string | null; expiry?: number | null },
) {
  const calls: { options: IdentityPoolClientOptions; transports: GcpTransports }[] = [];
  const factory: GcpClientFactory = (options, transports) => {
    calls.push({ options, transports });
    const client: GcpTokenClient & { credentials: { expiry_date?: number | null } } = {
      credentials: {},
      async getAccessToken() {
        const subject = await options.subject_token_supplier!.getSubjectToken({
          audience: options.audience,
          subjectTokenType: options.subject_token_type,
          transporter: transports.sts,
        });
        const { token, expiry } = answer(subject);
        client.credentials = { expiry_date: expiry };
        return { token };
      },
    };
    return client;
  };
  return { factory, calls };
}

describe('acquireGcpToken', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('configures a direct-federation client: STS audience, token URL, scopes, no impersonation', async () => {
    const { context, minted } = fakeContext();
    const { factory, calls } = fakeFactory(() => ({
      token: 'federated-token',
      expiry: NOW + 300_000,
    }));
    await acquireGcpToken(direct, context, { createClient: factory });
    const options = calls[0]?.options;
    expect(options).toMatchObject({
      type: 'external_account',
      audience: `//iam.googleapis.com/${RESOURCE}`,
      subject_token_type: GCP_SUBJECT_TOKEN_TYPE,
      token_url: 'https://sts.googleapis.com/v1/token',
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    expect(options).not.toHaveProperty('service_account_impersonation_url');
    expect(options).not.toHaveProperty('service_account_impersonation');
    expect(minted).toEqual([`https://iam.googleapis.com/${RESOURCE}`]);
  });

  it('configures impersonation with the generateAccessToken URL and lifetime', async () => {
    const { context } = fakeContext();
    const { factory, calls } = fakeFactory(() => ({ token: 'sa-token', expiry: NOW + 1_200_000 }));
    await acquireGcpToken(impersonating, context, { createClient: factory });
    expect(calls[0]?.options).toMatchObject({
      service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
      service_account_impersonation: { token_lifetime_seconds: 1200 },
      scopes: ['https://www.googleapis.com/auth/cloud-platform.read-only'],
    });
  });

  it('gives the client one transport per hop', async () => {
    const { context } = fakeContext();
    const { factory, calls } = fakeFactory(() => ({ token: 'sa-token', expiry: NOW + 60_000 }));
    await acquireGcpToken(impersonating, context, { createClient: factory });
    const transports = calls[0]?.transports;
    expect(transports?.sts).toBeInstanceOf(GcpTransport);
    expect(transports?.iam).toBeInstanceOf(GcpTransport);
    expect(transports?.sts).not.toBe(transports?.iam);
  });

  it('uses a new client and a fresh GitHub token for every acquisition', async () => {
    const { context, minted } = fakeContext();
    const subjects: string[] = [];
    const { factory, calls } = fakeFactory((subject) => {
      subjects.push(subject);
      return { token: `token-for-${subject}`, expiry: NOW + 3_600_000 };
    });
    const first = await acquireGcpToken(direct, context, { createClient: factory });
    const second = await acquireGcpToken(direct, context, { createClient: factory });
    expect(calls).toHaveLength(2);
    expect(minted).toHaveLength(2);
    expect(subjects).toEqual(['github-jwt-1', 'github-jwt-2']);
    expect(first.material.accessToken).toBe('token-for-github-jwt-1');
    expect(second.material.accessToken).toBe('token-for-github-jwt-2');
  });

  it("reports the answer's expiry, even a short one, and registers the token", async () => {
    const { context, secrets } = fakeContext();
    const { factory } = fakeFactory(() => ({ token: 'short-lived-token', expiry: NOW + 300_000 }));
    const credential = await acquireGcpToken(direct, context, { createClient: factory });
    expect(credential).toEqual({
      material: { accessToken: 'short-lived-token' },
      expiresAt: NOW + 300_000,
    });
    expect(secrets).toContain('short-lived-token');
  });

  it('assumes the GitHub token lifetime when STS sends no expires_in', async () => {
    const { context } = fakeContext();
    const { factory } = fakeFactory(() => ({ token: 'token-without-expiry', expiry: undefined }));
    const credential = await acquireGcpToken(direct, context, { createClient: factory });
    expect(credential.expiresAt).toBe(NOW + GCP_FALLBACK_LIFETIME_MS);
  });

  it.each([
    ['no token', { token: null, expiry: NOW + 1000 }, 'an access token'],
    ['an empty token', { token: '', expiry: NOW + 1000 }, 'an access token'],
    ['an unparsable expireTime', { token: 'abcdefgh', expiry: Number.NaN }, 'a valid expiry time'],
    ['an expiry in the past', { token: 'abcdefgh', expiry: NOW - 1 }, 'an expiry in the future'],
  ])('refuses an answer with %s', async (_, answer, problem) => {
    const { context } = fakeContext();
    const { factory } = fakeFactory(() => answer);
    const failure = acquireGcpToken(impersonating, context, { createClient: factory });
    await expect(failure).rejects.toBeInstanceOf(GcpMalformedAnswerError);
    await expect(failure).rejects.toMatchObject({
      hop: GCP_IAM_HOP,
      message: expect.stringContaining(problem),
    });
  });

  it('maps SDK failures to typed errors', async () => {
    const { context } = fakeContext();
    const factory: GcpClientFactory = () => ({
      credentials: {},
      getAccessToken: async () => {
        throw Object.assign(
          new Error('Error code invalid_grant: The audience in ID Token [x] does not match'),
          {
            config: { url: new URL('https://sts.googleapis.com/v1/token') },
            response: {
              status: 400,
              data: {
                error: 'invalid_grant',
                error_description: 'The audience in ID Token [x] does not match',
              },
            },
          },
        );
      },
    });
    const failure = acquireGcpToken(direct, context, { createClient: factory });
    await expect(failure).rejects.toBeInstanceOf(GcpAudienceMismatchError);
    await expect(failure).rejects.toMatchObject({ hop: GCP_STS_HOP, retryable: false });
  });

  it('lets a GitHub minting failure through unchanged', async () => {
    const { context } = fakeContext();
    const minting = new ExchangeError(
      'KEYLESS_ERR_OIDC_MINT',
      'github-oidc',
      'add permissions: id-token: write',
    );
    context.mintIdToken = async () => {
      throw minting;
    };
    const { factory } = fakeFactory(() => ({ token: 'never', expiry: NOW + 1 }));
    await expect(acquireGcpToken(direct, context, { createClient: factory })).rejects.toBe(minting);
  });
});
