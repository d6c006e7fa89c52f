import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalPath,
  canonicalQuery,
  canonicalRequest,
  sha256Hex,
  signingKey,
  stringToSign,
  verifySigV4,
} from './sigv4-verifier.ts';
import type { KnownCredential, ReceivedRequest, SigV4VerifyOptions } from './sigv4-verifier.ts';

interface VectorCase {
  name: string;
  context: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    region: string;
    service: string;
    timestamp: string;
    omitSessionToken: boolean;
    signBody: boolean;
  };
  signedRequest: string;
  canonicalRequest: string;
}

// The repository's copy of the suite (testdata/README.md says where it comes from).
const vectorFile = new URL('../../../testdata/sigv4-vectors.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorFile, 'utf8')) as { cases: VectorCase[] };

/** Parses the suite's `.sreq` text: request line, headers (with folded lines), blank line, body. */
function parseSignedRequest(text: string): ReceivedRequest {
  const blank = text.indexOf('\n\n');
  const head = text.slice(0, blank).split('\n');
  const [method, target] = /^(\S+) (.*) HTTP\/1\.1$/.exec(head[0]!)!.slice(1) as [string, string];
  const headers: Array<[string, string]> = [];
  for (const line of head.slice(1)) {
    if (/^\s/.test(line)) headers[headers.length - 1]![1] += `\n${line}`;
    else headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]);
  }
  return { method, target, headers, body: Buffer.from(text.slice(blank + 2)) };
}

function signedHeadersOf(request: ReceivedRequest): string[] {
  const auth = request.headers.find(([n]) => n.toLowerCase() === 'authorization')![1];
  return /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
}

function optionsFor(c: VectorCase): SigV4VerifyOptions {
  const known: KnownCredential = {
    accessKeyId: c.context.accessKeyId,
    secretAccessKey: c.context.secretAccessKey,
    sessionToken: c.context.sessionToken,
  };
  return {
    service: c.context.service,
    region: c.context.region,
    credentials: (id) => (id === known.accessKeyId ? known : undefined),
    now: () => Date.parse(c.context.timestamp),
    allowUnsignedSecurityToken: c.context.omitSessionToken,
  };
}

describe('AWS SigV4 test suite', () => {
  it('has the vectors', () => {
    expect(vectors.cases.length).toBeGreaterThan(25);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))(
    '%s: canonical request and signature',
    (_name, c) => {
      const request = parseSignedRequest(c.signedRequest);
      expect(canonicalRequest(request, signedHeadersOf(request), sha256Hex(request.body))).toBe(
        c.canonicalRequest,
      );
      expect(verifySigV4(request, optionsFor(c))).toMatchObject({
        ok: true,
        accessKeyId: 'AKIDEXAMPLE',
      });
    },
  );

  it.each(vectors.cases.map((c) => [c.name, c] as const))(
    '%s: a wrong secret is rejected',
    (_name, c) => {
      const request = parseSignedRequest(c.signedRequest);
      const options = optionsFor(c);
      const wrong = { ...options.credentials('AKIDEXAMPLE')!, secretAccessKey: 'not-the-secret' };
      expect(verifySigV4(request, { ...options, credentials: () => wrong })).toMatchObject({
        ok: false,
        code: 'InvalidSignatureException',
        reason: 'signature-mismatch',
      });
    },
  );
});

describe('canonical pieces', () => {
  it('encodes raw path segments once more (non-S3 rule)', () => {
    expect(canonicalPath('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse')).toBe(
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse',
    );
    expect(canonicalPath('/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse')).toBe(
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    );
  });

  it('normalizes only when asked', () => {
    expect(canonicalPath('/a/./b/../c//', true)).toBe('/a/c/');
    expect(canonicalPath('/a/./b/../c//', false)).toBe('/a/./b/../c//');
    expect(canonicalPath('/', true)).toBe('/');
  });

  it('decodes, re-encodes and sorts the query', () => {
    expect(canonicalQuery('b=2&a=%7e x&a=1&flag')).toBe('a=1&a=~%20x&b=2&flag=');
    expect(canonicalQuery('')).toBe('');
  });

  it('derives the signing key of the AWS documentation example', () => {
    // docs.aws.amazon.com "Examples of how to derive a signing key for Signature Version 4"
    const key = signingKey(
      'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      '20120215',
      'us-east-1',
      'iam',
    );
    expect(key.toString('hex')).toBe(
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });
});

describe('tampering', () => {
  const secret = 'test-secret-key-0123456789abcdefghijklmn';
  const session = 'test-session-token-abc';
  const now = Date.UTC(2026, 0, 15, 10, 0, 0);
  const amzDate = '20260115T100000Z';
  const known: KnownCredential = {
    accessKeyId: 'ASIATESTKEY000000001',
    secretAccessKey: secret,
    sessionToken: session,
  };
  const options: SigV4VerifyOptions = {
    service: 'bedrock',
    region: 'us-east-1',
    credentials: (id) => (id === known.accessKeyId ? known : undefined),
    now: () => now,
  };

  /** Signs like a client would, with this module's pieces (their correctness is pinned by the vectors). */
  function sign(
    target: string,
    body: string,
    extra: Array<[string, string]> = [],
    creds = known,
    scope = '20260115/us-east-1/bedrock/aws4_request',
    hashHeader = true,
  ): ReceivedRequest {
    const headers: Array<[string, string]> = [
      ['host', 'bedrock-runtime.us-east-1.amazonaws.com'],
      ['content-type', 'application/json'],
      ['x-amz-date', amzDate],
      ...(hashHeader ? [['x-amz-content-sha256', sha256Hex(body)] as [string, string]] : []),
      ...(creds.sessionToken
        ? [['x-amz-security-token', creds.sessionToken] as [string, string]]
        : []),
      ...extra,
    ];
    const request: ReceivedRequest = { method: 'POST', target, headers, body: Buffer.from(body) };
    const names = [...new Set(headers.map(([n]) => n.toLowerCase()))].sort();
    const canonical = canonicalRequest(request, names, sha256Hex(body));
    const [date, region, service] = scope.split('/') as [string, string, string];
    const signature = createHmac('sha256', signingKey(creds.secretAccessKey, date, region, service))
      .update(stringToSign(amzDate, scope, canonical))
      .digest('hex');
    headers.push([
      'authorization',
      `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    ]);
    return request;
  }

  const target = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
  const body = '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}';

  function withHeader(
    request: ReceivedRequest,
    name: string,
    value: string | undefined,
  ): ReceivedRequest {
    const headers = request.headers.filter(([n]) => n !== name);
    return { ...request, headers: value === undefined ? headers : [...headers, [name, value]] };
  }

  it('accepts the untouched request', () => {
    expect(verifySigV4(sign(target, body), options)).toEqual({
      ok: true,
      accessKeyId: known.accessKeyId,
      signedHeaders: [
        'content-type',
        'host',
        'x-amz-content-sha256',
        'x-amz-date',
        'x-amz-security-token',
      ],
    });
  });

  it.each([
    [
      'body changed, hash header kept',
      (r: ReceivedRequest) => ({ ...r, body: Buffer.from(body.replace('hi', 'ho')) }),
      'body-hash-mismatch',
    ],
    [
      'body and hash header changed together',
      (r: ReceivedRequest) =>
        withHeader({ ...r, body: Buffer.from('{}') }, 'x-amz-content-sha256', sha256Hex('{}')),
      'signature-mismatch',
    ],
    [
      'path decoded (%3A sent as :)',
      (r: ReceivedRequest) => ({ ...r, target: target.replace('%3A', ':') }),
      'signature-mismatch',
    ],
    [
      'path changed',
      (r: ReceivedRequest) => ({ ...r, target: target.replace('converse', 'invoke') }),
      'signature-mismatch',
    ],
    [
      'query added',
      (r: ReceivedRequest) => ({ ...r, target: `${target}?x=1` }),
      'signature-mismatch',
    ],
    ['method changed', (r: ReceivedRequest) => ({ ...r, method: 'PUT' }), 'signature-mismatch'],
    [
      'signed header changed',
      (r: ReceivedRequest) => withHeader(r, 'content-type', 'text/plain'),
      'signature-mismatch',
    ],
    [
      'host changed',
      (r: ReceivedRequest) => withHeader(r, 'host', 'evil.example.com'),
      'signature-mismatch',
    ],
    [
      'session token changed',
      (r: ReceivedRequest) => withHeader(r, 'x-amz-security-token', 'other-token'),
      'session-token',
    ],
    [
      'session token removed',
      (r: ReceivedRequest) => withHeader(r, 'x-amz-security-token', undefined),
      'session-token',
    ],
    [
      'authorization removed',
      (r: ReceivedRequest) => withHeader(r, 'authorization', undefined),
      'missing-authorization',
    ],
    [
      'x-amz-date removed',
      (r: ReceivedRequest) => withHeader(r, 'x-amz-date', undefined),
      'missing-date',
    ],
  ] as const)('rejects: %s', (_name, tamper, reason) => {
    const result = verifySigV4(tamper(sign(target, body)), options);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('hashes the body itself when no x-amz-content-sha256 is sent', () => {
    const request = sign(target, body, [], known, undefined, false);
    expect(verifySigV4(request, options).ok).toBe(true);
    const tampered = { ...request, body: Buffer.from(body.replace('hi', 'ho')) };
    expect(verifySigV4(tampered, options)).toMatchObject({
      ok: false,
      reason: 'signature-mismatch',
    });
  });

  it('ignores an unsigned extra header', () => {
    expect(verifySigV4(withHeader(sign(target, body), 'user-agent', 'x'), options).ok).toBe(true);
  });

  it('rejects an unsigned security token unless allowed', () => {
    const request = sign(target, body, [], { ...known, sessionToken: undefined });
    const tokenAdded = withHeader(request, 'x-amz-security-token', session);
    expect(verifySigV4(tokenAdded, options)).toMatchObject({
      ok: false,
      reason: 'unsigned-header',
    });
    expect(verifySigV4(tokenAdded, { ...options, allowUnsignedSecurityToken: true }).ok).toBe(true);
  });

  it('rejects an unknown key', () => {
    const request = sign(target, body, [], { ...known, accessKeyId: 'ASIAUNKNOWN000000000' });
    expect(verifySigV4(request, options)).toMatchObject({
      ok: false,
      code: 'UnrecognizedClientException',
    });
  });

  it('rejects an expired session token', () => {
    const expired = { ...known, expiration: new Date(now - 1) };
    expect(verifySigV4(sign(target, body), { ...options, credentials: () => expired })).toEqual({
      ok: false,
      code: 'ExpiredTokenException',
      reason: 'expired-token',
      message: 'The security token included in the request is expired',
    });
  });

  it.each([
    ['another service', '20260115/us-east-1/bedrock-runtime/aws4_request'],
    ['another region', '20260115/eu-west-1/bedrock/aws4_request'],
    ['another day', '20260114/us-east-1/bedrock/aws4_request'],
  ])('rejects a credential scoped to %s', (_name, scope) => {
    const result = verifySigV4(sign(target, body, [], known, scope), options);
    expect(result).toMatchObject({ ok: false, code: 'InvalidSignatureException', reason: 'scope' });
  });

  it('enforces the 5 minute skew in both directions', () => {
    const request = sign(target, body);
    expect(verifySigV4(request, { ...options, now: () => now + 5 * 60_000 }).ok).toBe(true);
    expect(verifySigV4(request, { ...options, now: () => now + 5 * 60_000 + 1000 })).toMatchObject({
      ok: false,
      reason: 'skew',
      message: expect.stringMatching(/^Signature expired: 20260115T100000Z is now earlier than/),
    });
    expect(verifySigV4(request, { ...options, now: () => now - 6 * 60_000 })).toMatchObject({
      ok: false,
      reason: 'skew',
      message: expect.stringMatching(/^Signature not yet current/),
    });
  });

  it('reports a malformed authorization header', () => {
    const request = withHeader(
      sign(target, body),
      'authorization',
      'AWS4-HMAC-SHA256 Credential=ASIA/20260115/us-east-1/bedrock/aws4_request',
    );
    expect(verifySigV4(request, options)).toMatchObject({
      ok: false,
      code: 'IncompleteSignatureException',
    });
  });
});
