import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExchangeError } from '@keyless/auth-core';
import type { OutgoingRequest } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import type { AssumeRoleRequest, StsCredentials } from './assume-role-with-web-identity.ts';
import { awsPlugin, createAwsPlugin } from './aws-plugin.ts';
import { AWS_SETTINGS } from './aws-settings.ts';
import { AwsAccessDeniedError, AwsStsMalformedResponseError } from './errors.ts';

const ENV = {
  AWF_AUTH_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gh-bedrock',
  AWF_AUTH_AWS_REGION: 'eu-central-1',
  AWF_AUTH_AWS_SESSION_DURATION: '1200',
  GITHUB_RUN_ID: '55',
  GITHUB_RUN_ATTEMPT: '3',
};
const CONFIG = awsPlugin.parseConfig(ENV);
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2ln';
const ANSWER: StsCredentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE02',
  secretAccessKey: 'secret-access-key-EXAMPLE',
  sessionToken: 'session-token-EXAMPLE',
  expiration: new Date('2030-05-01T10:00:00Z'),
};

function fakeContext() {
  const context = fakeAcquireContext({ mint: async () => TOKEN });
  return { context, events: context.events };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('awsPlugin', () => {
  it('declares the aws plugin facts', () => {
    expect(awsPlugin.name).toBe('aws');
    expect(awsPlugin.authTypes).toEqual(['github-oidc']);
    expect(awsPlugin.copilotProviderTypes).toEqual(['bedrock', 'aws']);
    expect(awsPlugin.route).toEqual({ name: 'bedrock' });
    expect(awsPlugin.signsBody).toBe(true);
    expect(awsPlugin.settings).toBe(AWS_SETTINGS);
    expect(
      awsPlugin.settings.filter((setting) => setting.authKey).map((setting) => setting.authKey),
    ).toEqual(['aws-role-arn', 'aws-region', 'aws-role-session-name', 'audience']);
  });

  it('keys the credential by provider, role, audience, region and STS endpoint, never a secret', () => {
    const key = awsPlugin.credentialKey(CONFIG);
    expect(key).toBe(
      'aws|arn:aws:iam::123456789012:role/gh-bedrock|sts.amazonaws.com|eu-central-1|',
    );
    expect(
      awsPlugin.credentialKey(awsPlugin.parseConfig({ ...ENV, AWF_AUTH_AWS_REGION: 'us-east-1' })),
    ).not.toBe(key);
    expect(
      awsPlugin.credentialKey(awsPlugin.parseConfig({ ...ENV, AWF_AUTH_OIDC_AUDIENCE: 'other' })),
    ).not.toBe(key);
    expect(
      awsPlugin.credentialKey(awsPlugin.parseConfig({ ...ENV, GITHUB_RUN_ATTEMPT: '4' })),
    ).toBe(key);
  });

  it('mints a fresh token for the audience, calls STS once with the config and registers every secret', async () => {
    const calls: AssumeRoleRequest[] = [];
    const plugin = createAwsPlugin({
      assumeRole: async (request) => {
        calls.push(request);
        return ANSWER;
      },
    });
    const { context, events } = fakeContext();
    const credential = await plugin.acquire(CONFIG, context);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.webIdentityToken).toBe(TOKEN);
    expect(calls[0]!.config).toBe(CONFIG);
    expect(calls[0]!.signal).toBe(context.signal);
    expect(calls[0]!.egress).toBe(context.egress);
    expect(CONFIG.roleSessionName).toBe('keyless-55-3');
    expect(CONFIG.durationSeconds).toBe(1200);
    expect(events).toEqual([
      'mint sts.amazonaws.com',
      'hop aws-sts',
      `secret ${ANSWER.accessKeyId}`,
      `secret ${ANSWER.secretAccessKey}`,
      `secret ${ANSWER.sessionToken}`,
    ]);
    expect(credential.expiresAt).toBe(Date.parse('2030-05-01T10:00:00Z'));
    expect(credential.material.region).toBe('eu-central-1');
    expect(Object.isFrozen(credential.material)).toBe(true);
    expect(Object.isFrozen(credential.material.credentials)).toBe(true);
  });

  it.each([
    ['Expiration', { ...ANSWER, expiration: undefined }],
    ['SessionToken', { ...ANSWER, sessionToken: undefined }],
    ['Expiration', { ...ANSWER, expiration: new Date('not a date') }],
  ])('rejects an answer without %s, after registering what it got', async (missing, answer) => {
    const plugin = createAwsPlugin({ assumeRole: async () => answer });
    const { context, events } = fakeContext();
    const failure = plugin.acquire(CONFIG, context);
    await expect(failure).rejects.toBeInstanceOf(AwsStsMalformedResponseError);
    await expect(failure).rejects.toThrow(`answered without ${missing}`);
    expect(events).toContain(`secret ${ANSWER.secretAccessKey}`);
  });

  it('maps what the STS seam throws to a typed error', async () => {
    const sdkError = Object.assign(
      new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'),
      {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      },
    );
    const plugin = createAwsPlugin({
      assumeRole: async () => {
        throw sdkError;
      },
    });
    const failure = plugin.acquire(CONFIG, fakeContext().context);
    await expect(failure).rejects.toBeInstanceOf(AwsAccessDeniedError);
    await expect(failure).rejects.toMatchObject({
      cause: sdkError,
      retryable: false,
      hop: 'aws-sts',
    });
  });

  it('lets a minting failure through unchanged and never calls STS', async () => {
    const mintError = new ExchangeError(
      'KEYLESS_ERR_GITHUB_OIDC',
      'github-oidc',
      'id-token: write missing',
    );
    const assumeRole = vi.fn(async () => ANSWER);
    const plugin = createAwsPlugin({ assumeRole });
    const { context } = fakeContext();
    const failure = plugin.acquire(CONFIG, {
      ...context,
      mintIdToken: async () => {
        throw mintError;
      },
    });
    await expect(failure).rejects.toBe(mintError);
    expect(assumeRole).not.toHaveBeenCalled();
  });

  it('apply signs the request for bedrock in the config region at the current time', async () => {
    vi.useFakeTimers({ now: new Date('2024-06-20T12:34:56Z') });
    const plugin = createAwsPlugin({ assumeRole: async () => ANSWER });
    const { material } = await plugin.acquire(CONFIG, fakeContext().context);
    const request: OutgoingRequest = {
      method: 'POST',
      origin: 'https://bedrock-runtime.eu-central-1.amazonaws.com',
      path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      headers: { 'content-type': 'application/json', authorization: 'Bearer placeholder' },
      body: new TextEncoder().encode('{}'),
    };
    await plugin.apply(material, request, 'signature');
    expect(request.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE02\/20240620\/eu-central-1\/bedrock\/aws4_request, /,
    );
    expect(request.headers['x-amz-date']).toBe('20240620T123456Z');
    expect(request.headers['x-amz-security-token']).toBe(ANSWER.sessionToken);
  });
});
