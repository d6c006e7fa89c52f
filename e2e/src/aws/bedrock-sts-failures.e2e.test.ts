import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BEDROCK_REPLY } from '@keyless/fakes';
import type { GatewayProcess } from '../harness/gateway-process.ts';
import {
  CLAUDE_MODEL as MODEL,
  HI_MESSAGES as messages,
  ROLE_ARN,
  startAwsRig,
} from './aws-rig.ts';
import type { AwsRig } from './aws-rig.ts';

// STS refusing the exchange: the bedrock route answers 503 credential_unavailable in Bedrock's
// error shape with the fix, the process keeps running, and it recovers without a restart.

const UNTRUSTED_ROLE_ARN = 'arn:aws:iam::123456789012:role/not-trusted';
const REGION = 'us-east-1';
const POLL = { timeout: 15_000, interval: 200 };

// One set of fakes for every case. Each describe starts its own gateway; the rig's helpers talk to
// the latest one, which is that describe's.
let rig: AwsRig;

/** Starts a gateway federating into `roleArn`. */
function startGateway(roleArn: string) {
  return rig.startGateway({
    AWF_AUTH_AWS_ROLE_ARN: roleArn,
    GITHUB_RUN_ID: '777',
    KEYLESS_CREDENTIAL_WAIT_MS: '5000',
  });
}

/** One Converse call with fetch; resolves status, Retry-After and parsed body. */
async function converse() {
  const res = await rig.converse(encodeURIComponent(MODEL));
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: JSON.parse(res.text) as Record<string, unknown>,
  };
}

beforeAll(async () => {
  rig = await startAwsRig({ role: { arn: ROLE_ARN, subject: 'repo:octo-org/*' }, region: REGION });
});
afterAll(async () => {
  await rig?.close();
});

describe('STS rejects the web identity (InvalidIdentityToken), then recovers', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    // Every STS call fails until the fault is cleared, including the eager one at startup.
    rig.sts.failNext('InvalidIdentityToken', {
      times: 1_000,
      message: 'No OpenIDConnect provider found in your account',
    });
    gateway = await startGateway(ROLE_ARN);
  });
  afterAll(async () => {
    rig.sts.clearFaults();
    await gateway?.stop();
  });

  it('answers 503 credential_unavailable in the Bedrock shape, with the fix and Retry-After', async () => {
    const answer = await converse();
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Object.keys(answer.body).sort()).toEqual(['code', 'message']);
    expect(answer.body.code).toBe('credential_unavailable');
    expect(answer.body.message).toMatch(/InvalidIdentityToken/);
    // The provider to register is the token's issuer as IAM names it (no scheme): here the fake's.
    const provider = rig.issuer.issuer.replace(/^https?:\/\//, '');
    expect(answer.body.message).toContain(
      `Register the IAM OIDC identity provider ${provider} with audience sts.amazonaws.com`,
    );
    expect(rig.bedrock.requests).toHaveLength(0);
  });

  it('the official client surfaces the message and the 503', async () => {
    const error = await rig
      .client()
      .send(new ConverseCommand({ modelId: MODEL, messages }))
      .then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { $metadata?: { httpStatusCode?: number } },
      );
    expect(error?.$metadata?.httpStatusCode).toBe(503);
    expect(error?.message).toMatch(
      /no usable credential for route bedrock: .*InvalidIdentityToken/,
    );
  });

  it('keeps running and reports the failure on /readyz and /metrics', async () => {
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.managementUrl}/healthz`)).status).toBe(200);
    const ready = await rig.readiness();
    expect(ready.status).toBe(503);
    expect(ready.body.routes).toEqual([
      expect.objectContaining({
        route: 'bedrock',
        provider: 'aws',
        state: 'failing',
        ready: false,
        lastError: expect.stringMatching(/InvalidIdentityToken/),
      }),
    ]);
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'aws',
        result: 'failure',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(rig.sts.calls.filter((call) => call.outcome === 'issued')).toHaveLength(0);
    expect(
      rig
        .events('credential.acquire_failed')
        .some((line) => line.code === 'KEYLESS_ERR_AWS_INVALID_IDENTITY_TOKEN'),
    ).toBe(true);
  });

  it('recovers without a restart once STS accepts the token again', async () => {
    const { sts, bedrock } = rig;
    sts.clearFaults();
    await expect.poll(async () => (await converse()).status, POLL).toBe(200);
    expect(sts.calls.filter((call) => call.outcome === 'issued')).toHaveLength(1);
    expect(bedrock.calls.at(-1)).toMatchObject({
      auth: 'sigv4',
      accessKeyId: sts.issued.at(-1)!.accessKeyId,
    });
    expect(bedrock.rejections).toEqual([]);
    await expect.poll(async () => (await rig.readiness()).status, POLL).toBe(200);
    const answer = await converse();
    expect(answer.body).toMatchObject({
      output: { message: { content: [{ text: DEFAULT_BEDROCK_REPLY }] } },
    });
  });
});

describe('a role whose trust policy does not admit the job (AccessDenied)', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGateway(UNTRUSTED_ROLE_ARN);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers 503 naming the trust policy to fix, and keeps running', async () => {
    const answer = await converse();
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('credential_unavailable');
    expect(answer.body.message).toMatch(/AccessDenied/);
    expect(answer.body.message).toContain(`trust policy of ${UNTRUSTED_ROLE_ARN}`);
    const { sts } = rig;
    expect(
      sts.calls.filter((call) => call.roleArn === UNTRUSTED_ROLE_ARN).map((call) => call.outcome),
    ).not.toContain('issued');
    expect(
      sts.calls.some(
        (call) => call.roleArn === UNTRUSTED_ROLE_ARN && call.outcome === 'AccessDenied',
      ),
    ).toBe(true);
    expect(gateway.child.exitCode).toBeNull();
    const ready = await rig.readiness();
    expect(ready.status).toBe(503);
    expect(ready.body.routes[0]).toMatchObject({
      state: 'failing',
      lastError: expect.stringMatching(/AccessDenied/),
    });
  });
});

describe('after the failures', () => {
  it('no GitHub token, request token or AWS secret appears in any output', () => {
    // Several tokens were minted for failed exchanges: the scan covers them.
    expect(rig.issuer.minted.length).toBeGreaterThanOrEqual(3);
    expect(rig.responses.length).toBeGreaterThan(5);
    expect(rig.gateways).toHaveLength(2);
    expect(rig.leaks()).toEqual([]);
  });
});
