import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsSts } from '../fakes/aws-sts.ts';
import type { AwsStsFake } from '../fakes/aws-sts.ts';
import { DEFAULT_BEDROCK_REPLY, startBedrockRuntime } from '../fakes/bedrock.ts';
import type { BedrockRuntimeFake } from '../fakes/bedrock.ts';
import { startGithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import type { GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';

// STS refusing the exchange: the bedrock route answers 503 credential_unavailable in Bedrock's
// error shape with the fix, the process keeps running, and it recovers without a restart.

const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless-bedrock';
const UNTRUSTED_ROLE_ARN = 'arn:aws:iam::123456789012:role/not-trusted';
const REGION = 'us-east-1';
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const messages = [{ role: 'user' as const, content: [{ text: 'hi' }] }];
const POLL = { timeout: 15_000, interval: 200 };

let issuer: GithubOidcIssuer;
let sts: AwsStsFake;
let bedrock: BedrockRuntimeFake;
/** Everything a client saw, and every gateway's output, for the canary scan. */
const seen: string[] = [];
const outputs: string[] = [];

/** The environment a workflow sets for the aws plugin, pointed at the fakes. */
function awsEnv(roleArn: string): Record<string, string> {
  return {
    AWF_AUTH_TYPE: 'github-oidc',
    AWF_AUTH_PROVIDER: 'aws',
    AWF_AUTH_AWS_ROLE_ARN: roleArn,
    AWF_AUTH_AWS_REGION: REGION,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    GITHUB_RUN_ID: '777',
    KEYLESS_CREDENTIAL_WAIT_MS: '5000',
  };
}

/** One Converse call with fetch; resolves status, Retry-After and parsed body. */
async function converse(gateway: GatewayProcess) {
  const res = await fetch(`${gateway.url('bedrock')}/model/${encodeURIComponent(MODEL)}/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages }),
  });
  const text = await res.text();
  seen.push(text, JSON.stringify([...res.headers]));
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

async function readyz(gateway: GatewayProcess) {
  const res = await fetch(`${gateway.managementUrl}/readyz`);
  const text = await res.text();
  seen.push(text);
  return {
    status: res.status,
    body: JSON.parse(text) as { status: string; routes: Array<Record<string, unknown>> },
  };
}

beforeAll(async () => {
  issuer = await startGithubOidcIssuer();
  [sts, bedrock] = await Promise.all([
    startAwsSts({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      roles: [{ arn: ROLE_ARN, subject: 'repo:octo-org/*' }],
    }),
    startBedrockRuntime({ credentials: (id) => sts.lookup(id), region: REGION }),
  ]);
});
afterAll(async () => {
  await Promise.all([bedrock?.close(), sts?.close(), issuer?.close()]);
});

describe('STS rejects the web identity (InvalidIdentityToken), then recovers', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    // Every STS call fails until the fault is cleared, including the eager one at startup.
    sts.failNext('InvalidIdentityToken', {
      times: 1_000,
      message: 'No OpenIDConnect provider found in your account',
    });
    gateway = await startGatewayProcess(awsEnv(ROLE_ARN));
  });
  afterAll(async () => {
    sts.clearFaults();
    await gateway?.stop();
    outputs.push(gateway?.output() ?? '');
  });

  it('answers 503 credential_unavailable in the Bedrock shape, with the fix and Retry-After', async () => {
    const answer = await converse(gateway);
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Object.keys(answer.body).sort()).toEqual(['code', 'message']);
    expect(answer.body.code).toBe('credential_unavailable');
    expect(answer.body.message).toMatch(/InvalidIdentityToken/);
    expect(answer.body.message).toMatch(
      /Register the IAM OIDC identity provider token\.actions\.githubusercontent\.com with audience sts\.amazonaws\.com/,
    );
    expect(bedrock.requests).toHaveLength(0);
  });

  it('the official client surfaces the message and the 503', async () => {
    const client = new BedrockRuntimeClient({
      region: REGION,
      endpoint: gateway.url('bedrock'),
      requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: 'AKIDDUMMY', secretAccessKey: 'dummy' },
      maxAttempts: 1,
    });
    const error = await client.send(new ConverseCommand({ modelId: MODEL, messages })).then(
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
    const ready = await readyz(gateway);
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
    const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^keyless_credential_refreshes_total\{provider="aws",result="failure"\} [1-9]/m,
    );
    expect(sts.calls.filter((call) => call.outcome === 'issued')).toHaveLength(0);
    expect(
      gateway
        .logs()
        .some(
          (line) =>
            line.event === 'credential.acquire_failed' &&
            line.code === 'KEYLESS_ERR_AWS_INVALID_IDENTITY_TOKEN',
        ),
    ).toBe(true);
  });

  it('recovers without a restart once STS accepts the token again', async () => {
    sts.clearFaults();
    await expect.poll(async () => (await converse(gateway)).status, POLL).toBe(200);
    expect(sts.calls.filter((call) => call.outcome === 'issued')).toHaveLength(1);
    expect(bedrock.calls.at(-1)).toMatchObject({
      auth: 'sigv4',
      accessKeyId: sts.issued.at(-1)!.accessKeyId,
    });
    expect(bedrock.rejections).toEqual([]);
    await expect.poll(async () => (await readyz(gateway)).status, POLL).toBe(200);
    const answer = await converse(gateway);
    expect(answer.body).toMatchObject({
      output: { message: { content: [{ text: DEFAULT_BEDROCK_REPLY }] } },
    });
  });
});

describe('a role whose trust policy does not admit the job (AccessDenied)', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess(awsEnv(UNTRUSTED_ROLE_ARN));
  });
  afterAll(async () => {
    await gateway?.stop();
    outputs.push(gateway?.output() ?? '');
  });

  it('answers 503 naming the trust policy to fix, and keeps running', async () => {
    const answer = await converse(gateway);
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('credential_unavailable');
    expect(answer.body.message).toMatch(/AccessDenied/);
    expect(answer.body.message).toContain(`trust policy of ${UNTRUSTED_ROLE_ARN}`);
    expect(
      sts.calls.filter((call) => call.roleArn === UNTRUSTED_ROLE_ARN).map((call) => call.outcome),
    ).not.toContain('issued');
    expect(
      sts.calls.some(
        (call) => call.roleArn === UNTRUSTED_ROLE_ARN && call.outcome === 'AccessDenied',
      ),
    ).toBe(true);
    expect(gateway.child.exitCode).toBeNull();
    const ready = await readyz(gateway);
    expect(ready.status).toBe(503);
    expect(ready.body.routes[0]).toMatchObject({
      state: 'failing',
      lastError: expect.stringMatching(/AccessDenied/),
    });
  });
});

describe('after the failures', () => {
  it('no GitHub token, request token or AWS secret appears in any output', () => {
    const secrets = [
      ...issuer.minted,
      issuer.requestToken,
      ...sts.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken]),
    ];
    // Several tokens were minted for failed exchanges: the scan covers them.
    expect(issuer.minted.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeGreaterThan(5);
    expect(outputs).toHaveLength(2);
    expect(findLeaks({ output: outputs.join('\n'), responses: seen.join('\n') }, secrets)).toEqual(
      [],
    );
  });
});
