import { createHash } from 'node:crypto';
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BEDROCK_REPLY } from '@keyless/fakes';
import {
  CLAUDE_MODEL as MODEL,
  DUMMY_ACCESS_KEY_ID,
  HI_MESSAGES as messages,
  POLL,
  ROLE_ARN,
  startAwsRig,
} from './aws-rig.ts';
import type { AwsRig } from './aws-rig.ts';

// GitHub OIDC -> STS AssumeRoleWithWebIdentity -> SigV4 on the bedrock route, through the real
// gateway process, with the official Bedrock runtime client holding only dummy keys.

const REGION = 'us-west-2';
const BEDROCK_AWS = { route: 'bedrock', provider: 'aws' };
/** One Anthropic message, as InvokeModel and its streaming twin send it. */
const invokeInput = {
  modelId: MODEL,
  body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages }),
  contentType: 'application/json',
};

describe('bedrock route federated through GitHub OIDC and STS', () => {
  let rig: AwsRig;

  beforeAll(async () => {
    rig = await startAwsRig({
      role: { arn: ROLE_ARN, subject: 'repo:octo-org/octo-repo:*' },
      region: REGION,
    });
    await rig.startGateway({
      GITHUB_RUN_ID: '4242424242',
      GITHUB_RUN_ATTEMPT: '2',
      KEYLESS_LOG_LEVEL: 'debug',
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('assumes the role once at startup with a fresh GitHub token and the derived session name', async () => {
    const { issuer, sts } = rig;
    // Acquisition is eager: the gateway becomes ready without any request.
    await expect.poll(async () => (await rig.readiness()).body.status, POLL).toBe('ready');
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
    const ready = (await rig.readiness()).body;
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
    const answer = await rig.client().send(new ConverseCommand({ modelId: MODEL, messages }));
    rig.responses.push(JSON.stringify(answer));
    expect(answer.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      operation: 'converse',
      modelId: MODEL,
      rawPath: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      auth: 'sigv4',
      accessKeyId: rig.sts.issued[0]!.accessKeyId,
      body: { messages },
    });
  });

  it('ConverseStream yields the real event sequence, text assembled from contentBlockDelta', async () => {
    const answer = await rig.client().send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    const kinds: string[] = [];
    let text = '';
    for await (const event of answer.stream!) {
      rig.responses.push(JSON.stringify(event));
      kinds.push(Object.keys(event).find((key) => key !== '$unknown') ?? '$unknown');
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(kinds.filter((kind) => kind === 'contentBlockDelta').length).toBeGreaterThan(1);
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      operation: 'converse-stream',
      modelId: MODEL,
    });
  });

  it('InvokeModel answers an Anthropic message', async () => {
    const answer = await rig.client().send(new InvokeModelCommand(invokeInput));
    const text = new TextDecoder().decode(answer.body);
    rig.responses.push(text);
    expect(JSON.parse(text)).toMatchObject({
      type: 'message',
      content: [{ type: 'text', text: DEFAULT_BEDROCK_REPLY }],
    });
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      operation: 'invoke',
      body: { max_tokens: 64 },
    });
  });

  it('InvokeModelWithResponseStream yields Anthropic stream events', async () => {
    const answer = await rig.client().send(new InvokeModelWithResponseStreamCommand(invokeInput));
    const events: Array<{ type: string; delta?: { text?: string } }> = [];
    for await (const part of answer.body!) {
      const json = new TextDecoder().decode(part.chunk!.bytes);
      rig.responses.push(json);
      events.push(JSON.parse(json) as (typeof events)[number]);
    }
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)?.type).toBe('message_stop');
    expect(events.map((event) => event.delta?.text ?? '').join('')).toBe(DEFAULT_BEDROCK_REPLY);
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      operation: 'invoke-with-response-stream',
      modelId: MODEL,
    });
  });

  it('a model id with a raw colon, sent with fetch, is signed as sent', async () => {
    const res = await rig.converse(MODEL, {
      headers: { authorization: 'Bearer client-placeholder' },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      output: { message: { content: [{ text: DEFAULT_BEDROCK_REPLY }] } },
    });
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      modelId: MODEL,
      rawPath: `/model/${MODEL}/converse`,
      auth: 'sigv4',
    });
  });

  it('every request reached Bedrock signed with the STS key and session token, never with the dummy key', () => {
    const { bedrock } = rig;
    const issued = rig.sts.issued[0]!;
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
      expect(JSON.stringify(request.headers)).not.toContain(DUMMY_ACCESS_KEY_ID);
      expect(JSON.stringify(request.headers)).not.toContain('client-placeholder');
    }
  });

  it('an expired credential (403 ExpiredTokenException) is renewed and the request replayed once', async () => {
    const { sts, bedrock } = rig;
    const stsBefore = sts.issued.length;
    const replaysBefore = (await rig.metric('keyless_replays_total', BEDROCK_AWS)) ?? 0;
    bedrock.expireNext(1);

    const answer = await rig.client().send(new ConverseCommand({ modelId: MODEL, messages }));
    rig.responses.push(JSON.stringify(answer));

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
    expect(await rig.metric('keyless_replays_total', BEDROCK_AWS)).toBe(replaysBefore + 1);
    await expect
      .poll(() => rig.events('request').filter((line) => line.replayed === true), POLL)
      .toEqual([expect.objectContaining({ route: 'bedrock', status: 200, upstreamStatus: 200 })]);
    expect(rig.events('credential.invalidated')).toHaveLength(1);
  });

  it('a streaming request is replayed the same way', async () => {
    const { sts, bedrock } = rig;
    const stsBefore = sts.issued.length;
    bedrock.expireNext(1);
    const answer = await rig.client().send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    let text = '';
    for await (const event of answer.stream!) text += event.contentBlockDelta?.delta?.text ?? '';
    expect(text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(sts.issued).toHaveLength(stsBefore + 1);
    expect(bedrock.rejections.filter((r) => r.reason !== 'injected')).toEqual([]);
    await expect
      .poll(() => rig.events('request').filter((line) => line.replayed === true).length, POLL)
      .toBe(2);
  });

  it('no AWS secret, session token, GitHub token or request token appears in any output', async () => {
    expect(await rig.gateway.stop()).toBe(0);
    const secrets = [...rig.secrets(), ...rig.sts.issued.map((c) => c.accessKeyId)];
    expect(secrets.length).toBeGreaterThanOrEqual(3 * 3 + 3 + 1);
    expect(rig.leaks(secrets)).toEqual([]);
    // The scan looked at real traffic.
    expect(rig.events('request').length).toBeGreaterThanOrEqual(7);
  });
});
