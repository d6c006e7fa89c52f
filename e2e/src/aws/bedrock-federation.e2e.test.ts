import { createHash } from 'node:crypto';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
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

// GitHub OIDC -> STS AssumeRoleWithWebIdentity -> SigV4 on the bedrock route, through the real
// gateway process, with the official Bedrock runtime client holding only dummy keys.

const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless-bedrock';
const REGION = 'us-west-2';
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const DUMMY_KEY_ID = 'AKIDDUMMY';
const messages = [{ role: 'user' as const, content: [{ text: 'hi' }] }];
/** Bounds for waits on the gateway (its logs arrive through a pipe), ms. */
const POLL = { timeout: 10_000, interval: 50 };
const anthropicBody = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 64,
  messages,
});

/** Value of one Prometheus sample, 0 when absent. */
function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('bedrock route federated through GitHub OIDC and STS', () => {
  let issuer: GithubOidcIssuer;
  let sts: AwsStsFake;
  let bedrock: BedrockRuntimeFake;
  let gateway: GatewayProcess;
  /** Everything a client saw, for the canary scan. */
  const seen: string[] = [];

  /** The official client as an agent holds it: dummy keys, no retries of its own. */
  const client = () =>
    new BedrockRuntimeClient({
      region: REGION,
      endpoint: gateway.url('bedrock'),
      requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: DUMMY_KEY_ID, secretAccessKey: 'dummy' },
      // A rejection must surface, so that only the gateway's replay can turn it into a 200.
      maxAttempts: 1,
    });

  const scrape = async (path: '/metrics' | '/readyz') => {
    const text = await (await fetch(`${gateway.managementUrl}${path}`)).text();
    seen.push(text);
    return text;
  };

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer();
    [sts, bedrock] = await Promise.all([
      startAwsSts({
        jwksUrl: issuer.jwksUrl,
        issuer: issuer.issuer,
        roles: [{ arn: ROLE_ARN, subject: 'repo:octo-org/octo-repo:*' }],
      }),
      // Reads sts.issued at request time: only keys the STS fake issued verify.
      startBedrockRuntime({ credentials: (id) => sts.lookup(id), region: REGION }),
    ]);
    gateway = await startGatewayProcess({
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_PROVIDER: 'aws',
      AWF_AUTH_AWS_ROLE_ARN: ROLE_ARN,
      AWF_AUTH_AWS_REGION: REGION,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
      GITHUB_RUN_ID: '4242424242',
      GITHUB_RUN_ATTEMPT: '2',
      KEYLESS_LOG_LEVEL: 'debug',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([bedrock?.close(), sts?.close(), issuer?.close()]);
  });

  it('assumes the role once at startup with a fresh GitHub token and the derived session name', async () => {
    // Acquisition is eager: the gateway becomes ready without any request.
    await expect
      .poll(async () => (JSON.parse(await scrape('/readyz')) as { status: string }).status, POLL)
      .toBe('ready');
    expect(sts.calls).toEqual([
      {
        roleArn: ROLE_ARN,
        roleSessionName: 'keyless-4242424242-2',
        durationSeconds: 3600,
        subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        outcome: 'issued',
      },
    ]);
    expect(issuer.minted).toHaveLength(1);
    await expect(
      issuer.verify(issuer.minted[0]!, { audience: 'sts.amazonaws.com' }),
    ).resolves.toMatchObject({
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
    });
    const ready = JSON.parse(await scrape('/readyz')) as { routes: Array<Record<string, unknown>> };
    expect(ready.routes).toEqual([
      expect.objectContaining({
        route: 'bedrock',
        provider: 'aws',
        auth: 'github-oidc',
        state: 'ready',
        ready: true,
      }),
    ]);
  });

  it('Converse through the official client answers, with the model id sent as %3A', async () => {
    const answer = await client().send(new ConverseCommand({ modelId: MODEL, messages }));
    seen.push(JSON.stringify(answer));
    expect(answer.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(bedrock.calls.at(-1)).toMatchObject({
      operation: 'converse',
      modelId: MODEL,
      rawPath: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      auth: 'sigv4',
      accessKeyId: sts.issued[0]!.accessKeyId,
      body: { messages },
    });
  });

  it('ConverseStream yields the real event sequence, text assembled from contentBlockDelta', async () => {
    const answer = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    const kinds: string[] = [];
    let text = '';
    for await (const event of answer.stream!) {
      seen.push(JSON.stringify(event));
      kinds.push(Object.keys(event).find((key) => key !== '$unknown') ?? '$unknown');
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(kinds.filter((kind) => kind === 'contentBlockDelta').length).toBeGreaterThan(1);
    expect(bedrock.calls.at(-1)).toMatchObject({ operation: 'converse-stream', modelId: MODEL });
  });

  it('InvokeModel answers an Anthropic message', async () => {
    const answer = await client().send(
      new InvokeModelCommand({
        modelId: MODEL,
        body: anthropicBody,
        contentType: 'application/json',
      }),
    );
    const text = new TextDecoder().decode(answer.body);
    seen.push(text);
    expect(JSON.parse(text)).toMatchObject({
      type: 'message',
      content: [{ type: 'text', text: DEFAULT_BEDROCK_REPLY }],
    });
    expect(bedrock.calls.at(-1)).toMatchObject({ operation: 'invoke', body: { max_tokens: 64 } });
  });

  it('InvokeModelWithResponseStream yields Anthropic stream events', async () => {
    const answer = await client().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        body: anthropicBody,
        contentType: 'application/json',
      }),
    );
    const events: Array<{ type: string; delta?: { text?: string } }> = [];
    for await (const part of answer.body!) {
      const json = new TextDecoder().decode(part.chunk!.bytes);
      seen.push(json);
      events.push(JSON.parse(json) as (typeof events)[number]);
    }
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)?.type).toBe('message_stop');
    expect(events.map((event) => event.delta?.text ?? '').join('')).toBe(DEFAULT_BEDROCK_REPLY);
    expect(bedrock.calls.at(-1)).toMatchObject({
      operation: 'invoke-with-response-stream',
      modelId: MODEL,
    });
  });

  it('a model id with a raw colon, sent with fetch, is signed as sent', async () => {
    const res = await fetch(`${gateway.url('bedrock')}/model/${MODEL}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-placeholder' },
      body: JSON.stringify({ messages }),
    });
    const text = await res.text();
    seen.push(text, JSON.stringify([...res.headers]));
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      output: { message: { content: [{ text: DEFAULT_BEDROCK_REPLY }] } },
    });
    expect(bedrock.calls.at(-1)).toMatchObject({
      modelId: MODEL,
      rawPath: `/model/${MODEL}/converse`,
      auth: 'sigv4',
    });
  });

  it('every request reached Bedrock signed with the STS key and session token, never with the dummy key', () => {
    const issued = sts.issued[0]!;
    expect(bedrock.rejections).toEqual([]);
    expect(bedrock.requests.length).toBeGreaterThanOrEqual(5);
    for (const request of bedrock.requests) {
      expect(request.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${issued.accessKeyId}/\\d{8}/${REGION}/bedrock/aws4_request, SignedHeaders=[^,]*x-amz-content-sha256[^,]*, Signature=[0-9a-f]{64}$`,
        ),
      );
      expect(request.headers['x-amz-security-token']).toBe(issued.sessionToken);
      expect(request.headers['x-amz-content-sha256']).toBe(
        createHash('sha256').update(request.body).digest('hex'),
      );
      expect(Object.keys(request.headers).filter((name) => name.startsWith('amz-sdk-'))).toEqual(
        [],
      );
      expect(JSON.stringify(request.headers)).not.toContain(DUMMY_KEY_ID);
      expect(JSON.stringify(request.headers)).not.toContain('client-placeholder');
    }
  });

  it('an expired credential (403 ExpiredTokenException) is renewed and the request replayed once', async () => {
    const stsBefore = sts.issued.length;
    const replaysBefore = metric(
      await scrape('/metrics'),
      'keyless_replays_total',
      'route="bedrock",provider="aws"',
    );
    bedrock.expireNext(1);

    const answer = await client().send(new ConverseCommand({ modelId: MODEL, messages }));
    seen.push(JSON.stringify(answer));

    expect(answer.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(sts.issued).toHaveLength(stsBefore + 1);
    expect(bedrock.rejections).toEqual([
      expect.objectContaining({ status: 403, code: 'ExpiredTokenException', reason: 'injected' }),
    ]);
    // The replay was signed again, with the renewed key.
    expect(bedrock.calls.at(-1)!.accessKeyId).toBe(sts.issued.at(-1)!.accessKeyId);
    expect(bedrock.requests.at(-1)!.headers['x-amz-security-token']).toBe(
      sts.issued.at(-1)!.sessionToken,
    );
    expect(
      metric(await scrape('/metrics'), 'keyless_replays_total', 'route="bedrock",provider="aws"'),
    ).toBe(replaysBefore + 1);
    await expect
      .poll(
        () => gateway.logs().filter((line) => line.event === 'request' && line.replayed === true),
        POLL,
      )
      .toEqual([expect.objectContaining({ route: 'bedrock', status: 200, upstreamStatus: 200 })]);
    expect(gateway.logs().filter((line) => line.event === 'credential.invalidated')).toHaveLength(
      1,
    );
  });

  it('a streaming request is replayed the same way', async () => {
    const stsBefore = sts.issued.length;
    bedrock.expireNext(1);
    const answer = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    let text = '';
    for await (const event of answer.stream!) text += event.contentBlockDelta?.delta?.text ?? '';
    expect(text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(sts.issued).toHaveLength(stsBefore + 1);
    expect(bedrock.rejections.filter((r) => r.reason !== 'injected')).toEqual([]);
    await expect
      .poll(
        () =>
          gateway.logs().filter((line) => line.event === 'request' && line.replayed === true)
            .length,
        POLL,
      )
      .toBe(2);
  });

  it('no AWS secret, session token, GitHub token or request token appears in any output', async () => {
    expect(await gateway.stop()).toBe(0);
    const secrets = [
      ...sts.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken, c.accessKeyId]),
      ...issuer.minted,
      issuer.requestToken,
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(3 * 3 + 3 + 1);
    expect(findLeaks({ output: gateway.output(), responses: seen.join('\n') }, secrets)).toEqual(
      [],
    );
    // The scan looked at real traffic.
    expect(gateway.logs().filter((line) => line.event === 'request').length).toBeGreaterThanOrEqual(
      7,
    );
  });
});
