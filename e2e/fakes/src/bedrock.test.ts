import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { fromWebToken } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsSts } from './aws-sts.ts';
import { DEFAULT_BEDROCK_REPLY, startBedrockRuntime } from './bedrock.ts';
import type { BedrockRuntimeFake } from './bedrock.ts';
import { decodeEventFrames, EVENTSTREAM_CONTENT_TYPE } from './eventstream.ts';
import type { KnownCredential } from './sigv4-verifier.ts';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const BEARER = 'ABSKtest-bedrock-api-key';
const KEY: KnownCredential = {
  accessKeyId: 'ASIAFAKETEST00000001',
  secretAccessKey: 'fake/secret+key0123456789abcdefghijklmnop',
  sessionToken: 'IQoJb3JpZ2luX2VjEfake/session+token==',
};
const EXPIRED: KnownCredential = {
  accessKeyId: 'ASIAFAKEEXPIRED00001',
  secretAccessKey: 'expired-secret-0123456789abcdefghijklmno',
  sessionToken: 'expired-session-token',
  expiration: new Date(Date.now() - 60_000),
};
const messages = [{ role: 'user' as const, content: [{ text: 'hi' }] }];

let bedrock: BedrockRuntimeFake;

type Middleware = Parameters<BedrockRuntimeClient['middlewareStack']['add']>[0];
interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** The official client as an agent would use it; `maxAttempts: 1` so that a rejection surfaces once. */
function client(credentials: KnownCredential = KEY, endpoint = bedrock.url): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    requestHandler: new NodeHttpHandler(),
    credentials,
    maxAttempts: 1,
  });
}

/** Runs `change` on the wire request before signing (`build`) or after it (`deserialize`, i.e. tampering). */
function withRequest(
  c: BedrockRuntimeClient,
  step: 'build' | 'deserialize',
  change: (request: WireRequest) => void,
) {
  const middleware: Middleware = (next) => async (args) => {
    change(args.request as WireRequest);
    return next(args);
  };
  if (step === 'build') c.middlewareStack.add(middleware as never, { step });
  else c.middlewareStack.add(middleware, { step });
  return c;
}

beforeAll(async () => {
  bedrock = await startBedrockRuntime({ credentials: [KEY, EXPIRED], staticBearerToken: BEARER });
});

afterAll(async () => {
  await bedrock.close();
});

describe('with the official BedrockRuntimeClient', () => {
  it('Converse answers and records the decoded model id (sent as %3A)', async () => {
    const answer = await client().send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(answer.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(answer.stopReason).toBe('end_turn');
    expect(answer.usage).toMatchObject({ inputTokens: 12, outputTokens: 6, totalTokens: 18 });
    expect(bedrock.calls.at(-1)).toMatchObject({
      operation: 'converse',
      modelId: MODEL,
      rawPath: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      auth: 'sigv4',
      accessKeyId: KEY.accessKeyId,
      body: { messages },
    });
  });

  it('accepts a model id sent with a raw colon when it was signed so', async () => {
    const c = withRequest(client(), 'build', (r) => void (r.path = r.path.replace('%3A', ':')));
    await c.send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(bedrock.calls.at(-1)).toMatchObject({
      modelId: MODEL,
      rawPath: `/model/${MODEL}/converse`,
    });
  });

  it('ConverseStream yields the real event sequence', async () => {
    const answer = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    const events: ConverseStreamOutput[] = [];
    for await (const event of answer.stream!) events.push(event);
    const kinds = events.map((e) => Object.keys(e).find((k) => k !== '$unknown'));
    expect(kinds).toEqual([
      'messageStart',
      ...Array(6).fill('contentBlockDelta'),
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('')).toBe(
      DEFAULT_BEDROCK_REPLY,
    );
    expect(events.at(-1)?.metadata?.usage).toEqual({
      inputTokens: 12,
      outputTokens: 6,
      totalTokens: 18,
    });
    expect(bedrock.calls.at(-1)?.operation).toBe('converse-stream');
  });

  it('InvokeModel answers an Anthropic message', async () => {
    const body = JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      messages,
    });
    const answer = await client().send(
      new InvokeModelCommand({ modelId: MODEL, body, contentType: 'application/json' }),
    );
    expect(JSON.parse(new TextDecoder().decode(answer.body))).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-3-5-sonnet-20240620',
      content: [{ type: 'text', text: DEFAULT_BEDROCK_REPLY }],
    });
    expect(bedrock.calls.at(-1)).toMatchObject({ operation: 'invoke', body: { max_tokens: 64 } });
  });

  it('InvokeModelWithResponseStream yields Anthropic stream events in chunks', async () => {
    const body = JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      messages,
    });
    const answer = await client().send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body }),
    );
    const events: Array<{ type: string; delta?: { text?: string } }> = [];
    for await (const part of answer.body!) {
      events.push(
        JSON.parse(new TextDecoder().decode(part.chunk!.bytes)) as (typeof events)[number],
      );
    }
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)?.type).toBe('message_stop');
    expect(events.map((e) => e.delta?.text ?? '').join('')).toBe(DEFAULT_BEDROCK_REPLY);
  });

  it('works end to end with keys issued by the STS fake', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] });
    const sts = await startAwsSts({
      verifyWebIdentity: async (token) => (await jwtVerify(token, keys)).payload,
      roles: [{ arn: 'arn:aws:iam::123456789012:role/ci' }],
    });
    const chained = await startBedrockRuntime({ credentials: sts.issued });
    try {
      const token = await new SignJWT({
        sub: 'repo:o/r:ref:refs/heads/main',
        aud: 'sts.amazonaws.com',
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .setExpirationTime('5m')
        .sign(privateKey);
      const credentials = await fromWebToken({
        roleArn: 'arn:aws:iam::123456789012:role/ci',
        roleSessionName: 'e2e',
        webIdentityToken: token,
        clientConfig: { region: 'us-east-1', endpoint: sts.url },
      })();
      const c = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: chained.url,
        requestHandler: new NodeHttpHandler(),
        credentials,
      });
      await c.send(new ConverseCommand({ modelId: MODEL, messages }));
      expect(chained.calls[0]?.accessKeyId).toBe(sts.issued[0]?.accessKeyId);
    } finally {
      await chained.close();
      await sts.close();
    }
  });

  it('accepts the static bearer token (AWS_BEARER_TOKEN_BEDROCK)', async () => {
    const c = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: bedrock.url,
      requestHandler: new NodeHttpHandler(),
      token: { token: BEARER },
      authSchemePreference: ['httpBearerAuth'],
    });
    await c.send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(bedrock.calls.at(-1)).toMatchObject({ auth: 'bearer', accessKeyId: undefined });
  });
});

describe('rejections', () => {
  async function rejection(send: () => Promise<unknown>) {
    const before = bedrock.rejections.length;
    const error = await send().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, recorded: bedrock.rejections.slice(before) };
  }
  const converse = (c: BedrockRuntimeClient) => () =>
    c.send(new ConverseCommand({ modelId: MODEL, messages }));

  it.each([
    // The SDK signs x-amz-content-sha256, which the fake checks against the body it received.
    [
      'the body',
      (r: WireRequest) => void (r.body = String(r.body).replace('hi', 'ho')),
      'body-hash-mismatch',
    ],
    [
      'the path',
      (r: WireRequest) => void (r.path = r.path.replace('%3A', ':')),
      'signature-mismatch',
    ],
    [
      'a signed header',
      (r: WireRequest) => void (r.headers['content-type'] = 'text/plain'),
      'signature-mismatch',
    ],
    [
      'the session token',
      (r: WireRequest) => void (r.headers['x-amz-security-token'] = 'other'),
      'session-token',
    ],
    [
      'the body hash header',
      (r: WireRequest) => void (r.headers['x-amz-content-sha256'] = '0'.repeat(64)),
      'body-hash-mismatch',
    ],
    [
      'the body hash header (removed)',
      (r: WireRequest) => void delete r.headers['x-amz-content-sha256'],
      'signature-mismatch',
    ],
  ])('after signing, tampering with %s is rejected', async (_name, tamper, reason) => {
    const { error, recorded } = await rejection(
      converse(withRequest(client(), 'deserialize', tamper)),
    );
    expect(recorded).toMatchObject([{ status: 403, reason }]);
    expect(error).toMatchObject({ name: recorded[0]!.code, $metadata: { httpStatusCode: 403 } });
  });

  it('rejects a wrong secret with InvalidSignatureException', async () => {
    const { error } = await rejection(
      converse(client({ ...KEY, secretAccessKey: 'wrong-secret' })),
    );
    expect(error).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/^The request signature we calculated does not match/),
    });
  });

  it('rejects an unknown key with UnrecognizedClientException', async () => {
    const { error } = await rejection(
      converse(client({ ...KEY, accessKeyId: 'ASIAUNKNOWN000000000' })),
    );
    expect(error).toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('rejects an expired session with ExpiredTokenException', async () => {
    const { error } = await rejection(converse(client(EXPIRED)));
    expect(error).toMatchObject({
      name: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
  });

  it('expires the next N requests on demand, then serves again', async () => {
    bedrock.expireNext(2);
    const calls = bedrock.calls.length;
    for (let i = 0; i < 2; i++) {
      const { error, recorded } = await rejection(converse(client()));
      expect(error).toMatchObject({
        name: 'ExpiredTokenException',
        $metadata: { httpStatusCode: 403 },
      });
      expect(recorded).toMatchObject([{ reason: 'injected' }]);
    }
    expect(bedrock.calls.length).toBe(calls);
    await expect(converse(client())()).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('rejects a wrong bearer token', async () => {
    const response = await fetch(`${bedrock.url}/model/${MODEL}/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^UnrecognizedClientException:/);
    expect(await response.json()).toEqual({
      message: 'Authentication failed: Please make sure your API Key is valid.',
    });
  });

  it('refuses an unsigned request with the AWS error shape', async () => {
    const response = await fetch(`${bedrock.url}/model/${MODEL}/converse`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(
      /^MissingAuthenticationTokenException:/,
    );
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('rejects a double-encoded model id even when validly signed', async () => {
    const c = withRequest(client(), 'build', (r) => void (r.path = r.path.replace('%3A', '%253A')));
    const error = await converse(c)().catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('wire format', () => {
  it('streams real event-stream frames', async () => {
    const response = await fetch(
      `${bedrock.url}/model/${encodeURIComponent(MODEL)}/converse-stream`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages }),
      },
    );
    expect(response.headers.get('content-type')).toBe(EVENTSTREAM_CONTENT_TYPE);
    const frames = decodeEventFrames(new Uint8Array(await response.arrayBuffer()));
    expect(frames[0]).toMatchObject({
      messageType: 'event',
      type: 'messageStart',
      payload: { role: 'assistant' },
    });
    expect(frames.at(-1)).toMatchObject({ type: 'metadata' });
  });

  it('answers 404 UnknownOperationException for other paths', async () => {
    const response = await fetch(`${bedrock.url}/model/${MODEL}/count-tokens-nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BEARER}` },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException:/);
  });
});
