import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingRequest } from '@keyless/auth-core';
import { signRequest } from './sign-request.ts';

const CREDENTIALS = Object.freeze({
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE-session-token//////////wEaDEXAMPLE==',
});
const NOW = new Date('2024-06-20T12:34:56Z');
const ORIGIN = 'https://bedrock-runtime.us-west-2.amazonaws.com';
const MODEL_ENCODED = 'anthropic.claude-3-5-sonnet-20240620-v1%3A0';
const MODEL_RAW = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const BODY = new TextEncoder().encode(
  JSON.stringify({
    messages: [{ role: 'user', content: [{ text: 'héllo ✓' }] }],
    inferenceConfig: { maxTokens: 64 },
  }),
);

function request(
  path: string,
  headers: Record<string, string> = {},
  body: Uint8Array | undefined = BODY,
): OutgoingRequest {
  return {
    method: 'POST',
    origin: ORIGIN,
    path,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  };
}

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();
const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * An independent SigV4 verifier (node:crypto only), doing what AWS does with
 * the request it receives: re-encode each raw path segment once, canonicalize
 * the query, recompute the body hash instead of trusting the header.
 */
function verify(
  sent: OutgoingRequest,
  secretAccessKey: string,
): { valid: boolean; canonicalRequest: string } {
  const headers = sent.headers;
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      headers['authorization'] ?? '',
    );
  if (!match) return { valid: false, canonicalRequest: '' };
  const [, , date, region, service, signedHeaders, signature] = match as unknown as string[];
  const [rawPath = '', rawQuery = ''] = sent.path.split('?');
  const canonicalPath = rawPath.split('/').map(rfc3986).join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) =>
      pair
        .split('=')
        .map((part) => rfc3986(decodeURIComponent(part)))
        .join('='),
    )
    .sort()
    .join('&');
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names
    .map((name) => `${name}:${(headers[name] ?? '').trim()}\n`)
    .join('');
  const bodyHash = sha256Hex(sent.body ?? new Uint8Array());
  const canonicalRequest = [
    sent.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    bodyHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    headers['x-amz-date'],
    scope,
    sha256Hex(canonicalRequest),
  ].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  const valid =
    expected === signature &&
    headers['x-amz-content-sha256'] === bodyHash &&
    headers['host'] === new URL(sent.origin).host &&
    names.includes('x-amz-security-token');
  return { valid, canonicalRequest };
}

describe('signRequest', () => {
  it('signs a percent-encoded model id as sent: the canonical path encodes it once more', async () => {
    const sent = request(`/model/${MODEL_ENCODED}/converse`);
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    const { valid, canonicalRequest } = verify(sent, CREDENTIALS.secretAccessKey);
    expect(valid).toBe(true);
    expect(sent.path).toBe(`/model/${MODEL_ENCODED}/converse`);
    expect(canonicalRequest.split('\n')[1]).toBe(
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse',
    );
  });

  it('signs a raw `:` model id as sent, with a different signature than the encoded form', async () => {
    const raw = request(`/model/${MODEL_RAW}/converse-stream`);
    const encoded = request(`/model/${MODEL_ENCODED}/converse-stream`);
    await signRequest(CREDENTIALS, 'us-west-2', raw, NOW);
    await signRequest(CREDENTIALS, 'us-west-2', encoded, NOW);
    const verified = verify(raw, CREDENTIALS.secretAccessKey);
    expect(verified.valid).toBe(true);
    expect(verified.canonicalRequest.split('\n')[1]).toBe(
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream',
    );
    expect(raw.headers['authorization']).not.toBe(encoded.headers['authorization']);
  });

  it('uses the bedrock signing name, the region, the date and the session token', async () => {
    const sent = request(`/model/${MODEL_ENCODED}/invoke`);
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    expect(sent.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE01\/20240620\/us-west-2\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(sent.headers['x-amz-date']).toBe('20240620T123456Z');
    expect(sent.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(sent.headers['x-amz-content-sha256']).toBe(sha256Hex(BODY));
    expect(sent.headers['host']).toBe('bedrock-runtime.us-west-2.amazonaws.com');
  });

  it('removes client credentials and SDK headers, and signs none of the passed-through headers', async () => {
    const sent = request(`/model/${MODEL_ENCODED}/converse`, {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDDUMMY/20200101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00',
      'x-amz-date': '20200101T000000Z',
      'x-amz-security-token': 'client-token',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-user-agent': 'aws-sdk-js/3',
      'amz-sdk-invocation-id': 'b8a5b3c4',
      'amz-sdk-request': 'attempt=1; max=3',
      host: '127.0.0.1:10005',
      accept: 'application/json',
      'user-agent': 'aws-sdk-js/3 ua/2.1',
      'x-amzn-bedrock-trace': 'ENABLED',
      'content-length': String(BODY.byteLength),
    });
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    expect(Object.keys(sent.headers).sort()).toEqual(
      [
        'accept',
        'authorization',
        'content-length',
        'content-type',
        'host',
        'user-agent',
        'x-amz-content-sha256',
        'x-amz-date',
        'x-amz-security-token',
        'x-amzn-bedrock-trace',
      ].sort(),
    );
    expect(sent.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(sent.headers['authorization']).not.toContain('AKIDDUMMY');
    expect(sent.headers['x-amzn-bedrock-trace']).toBe('ENABLED');
    expect(verify(sent, CREDENTIALS.secretAccessKey).valid).toBe(true);
    // A proxy rewriting unsigned headers does not break the signature.
    sent.headers['user-agent'] = 'rewritten';
    delete sent.headers['content-length'];
    expect(verify(sent, CREDENTIALS.secretAccessKey).valid).toBe(true);
  });

  it.each([
    [
      'body',
      (sent: OutgoingRequest) => ({ ...sent, body: new TextEncoder().encode('{"tampered":true}') }),
    ],
    [
      'path',
      (sent: OutgoingRequest) => ({ ...sent, path: sent.path.replace('converse', 'invoke') }),
    ],
    [
      'content-type',
      (sent: OutgoingRequest) => ({
        ...sent,
        headers: { ...sent.headers, 'content-type': 'text/plain' },
      }),
    ],
    [
      'session token',
      (sent: OutgoingRequest) => ({
        ...sent,
        headers: { ...sent.headers, 'x-amz-security-token': 'other' },
      }),
    ],
    [
      'host',
      (sent: OutgoingRequest) => ({
        ...sent,
        origin: 'https://bedrock-runtime.us-east-1.amazonaws.com',
      }),
    ],
  ])('a verifier rejects a tampered %s', async (_what, tamper) => {
    const sent = request(`/model/${MODEL_ENCODED}/converse`);
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    expect(verify(sent, CREDENTIALS.secretAccessKey).valid).toBe(true);
    expect(verify(tamper(sent), CREDENTIALS.secretAccessKey).valid).toBe(false);
  });

  it('re-signs a replay with a fresh date and new credentials, replacing the old signature', async () => {
    const sent = request(`/model/${MODEL_ENCODED}/converse`);
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    const first = sent.headers['authorization'];
    const renewed = {
      ...CREDENTIALS,
      secretAccessKey: 'second-secret-EXAMPLEKEY',
      sessionToken: 'second-token',
    };
    await signRequest(renewed, 'us-west-2', sent, new Date(NOW.getTime() + 90_000));
    expect(sent.headers['x-amz-date']).toBe('20240620T123626Z');
    expect(sent.headers['x-amz-security-token']).toBe('second-token');
    expect(sent.headers['authorization']).not.toBe(first);
    expect(verify(sent, renewed.secretAccessKey).valid).toBe(true);
    expect(verify(sent, CREDENTIALS.secretAccessKey).valid).toBe(false);
  });

  it('hashes an absent body as the empty payload and signs the raw query', async () => {
    const sent: OutgoingRequest = {
      method: 'GET',
      origin: 'http://127.0.0.1:8080',
      path: '/foundation-models?byProvider=anthropic&x=a%20b',
      headers: {},
    };
    await signRequest(CREDENTIALS, 'us-east-1', sent, NOW);
    expect(sent.headers['x-amz-content-sha256']).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sent.headers['host']).toBe('127.0.0.1:8080');
    expect(sent.headers['authorization']).toContain(
      'SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
    const { valid, canonicalRequest } = verify(sent, CREDENTIALS.secretAccessKey);
    expect(valid).toBe(true);
    expect(canonicalRequest.split('\n')[2]).toBe('byProvider=anthropic&x=a%20b');
  });

  it('leaves the default port out of host, as the HTTP client does', async () => {
    const sent: OutgoingRequest = {
      ...request('/model/m/invoke'),
      origin: 'https://bedrock-runtime.us-west-2.amazonaws.com:443',
    };
    await signRequest(CREDENTIALS, 'us-west-2', sent, NOW);
    expect(sent.headers['host']).toBe('bedrock-runtime.us-west-2.amazonaws.com');
  });
});
