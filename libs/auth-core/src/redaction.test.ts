import { ExchangeError } from './errors.ts';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, Redactor } from './redaction.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJlLWJ5dGVz';

describe('Redactor.register / redact by value', () => {
  it('replaces every occurrence of a registered secret', () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t-value');
    expect(redactor.redact('a s3cr3t-value b s3cr3t-value')).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('replaces the URL-encoded form', () => {
    const redactor = new Redactor();
    redactor.register('ab/cd+ef==');
    expect(redactor.redact('GET /x?sig=ab%2Fcd%2Bef%3D%3D')).toBe(`GET /x?sig=${REDACTED}`);
  });

  it('replaces the JSON-escaped form that serialized log lines carry', () => {
    const redactor = new Redactor();
    const secret = 'pa"ss\\word';
    redactor.register(secret);
    const line = JSON.stringify({ msg: `value ${secret}` });
    expect(line).not.toContain(secret);
    expect(redactor.redact(line)).toBe(JSON.stringify({ msg: `value ${REDACTED}` }));
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const redactor = new Redactor();
    redactor.register('abcdef');
    redactor.register('abcdef-ghijkl');
    expect(redactor.redact('x abcdef-ghijkl y abcdef')).toBe(`x ${REDACTED} y ${REDACTED}`);
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters`, () => {
    const redactor = new Redactor();
    redactor.register('a');
    redactor.register('12345');
    redactor.register('');
    expect(redactor.redact('a route with status 12345')).toBe('a route with status 12345');
  });

  it('is idempotent', () => {
    const redactor = new Redactor();
    redactor.register('repeated-secret');
    redactor.register('repeated-secret');
    expect(redactor.redact('repeated-secret')).toBe(REDACTED);
  });
});

describe('Redactor.redact patterns', () => {
  const redactor = new Redactor();

  it.each([
    ['a JWT', `token ${JWT} end`, `token ${REDACTED} end`],
    ['a JWT in JSON', JSON.stringify({ value: JWT }), JSON.stringify({ value: REDACTED })],
    ['a bearer token', 'authorization: Bearer abc123def456', `authorization: Bearer ${REDACTED}`],
    ['a lower-case bearer JWT', `bearer ${JWT}`, `bearer ${REDACTED}`],
    [
      'a long bearer token without digits',
      'Bearer abcdefghijklmnopqrstuvwxyz',
      `Bearer ${REDACTED}`,
    ],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', `key ${REDACTED} used`],
    ['an AWS temporary key id', '"ASIAY34FZKBOKMUTVV7A"', `"${REDACTED}"`],
    ['an OpenAI key', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx', REDACTED],
    ['an Anthropic key', 'x sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123', `x ${REDACTED}`],
    ['a GitHub token', 'ghs_16C7e42F292c6912E7710c838347Ae178B4a', REDACTED],
    ['a Google access token', 'ya29.a0AfH6SMBx-abcdefghijklmnopqrst', REDACTED],
  ])('redacts %s', (_name, input, expected) => {
    expect(redactor.redact(input)).toBe(expected);
  });

  it.each([
    '{"level":30,"route":"openai","method":"POST","path":"/v1/chat/completions","status":200,"durationMs":12}',
    '{"msg":"credential refreshed","provider":"azure","expiresInS":3599,"key":"azure|tenant|client|api://AzureADTokenExchange"}',
    '/openai/deployments/gpt-4o/chat/completions',
    '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@20250101:streamRawPredict',
    '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream',
    'missing Authorization: Bearer token',
    'expected Bearer authentication',
    'task-queue and disk-usage-monitoring-service are fine',
    'role AROAEXAMPLEID12345678 assumed',
    'x-amz-security-token header stripped',
  ])('leaves ordinary log content alone: %s', (line) => {
    expect(redactor.redact(line)).toBe(line);
  });
});

describe('Redactor.describe', () => {
  it('joins the cause chain and redacts it', () => {
    const redactor = new Redactor();
    redactor.register('cause-secret');
    const error = new Error('exchange failed', {
      cause: new Error('token cause-secret rejected', { cause: new Error('socket hang up') }),
    });
    expect(redactor.describe(error)).toBe(
      `exchange failed: token ${REDACTED} rejected: socket hang up`,
    );
  });

  it('stops at a KeylessError, whose message already summarises its cause', () => {
    const sdk = new Error(
      'AADSTS700213: No matching federated identity record found. Trace ID: 1 Correlation ID: 2',
    );
    const curated = new ExchangeError(
      'KEYLESS_ERR_X',
      'entra-token',
      'Entra rejected the assertion (AADSTS700213)',
      { cause: sdk },
    );
    expect(new Redactor().describe(new Error('credential unavailable', { cause: curated }))).toBe(
      'credential unavailable: Entra rejected the assertion (AADSTS700213)',
    );
  });

  it('says a repeated cause message once', () => {
    const inner = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const outer = new Error('request failed: connect ECONNREFUSED 127.0.0.1:1', { cause: inner });
    expect(new Redactor().describe(outer)).toBe('request failed: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('stops on a circular cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(new Redactor().describe(a)).toBe('a: b');
  });

  it('describes non-errors with String(value), redacted', () => {
    const redactor = new Redactor();
    redactor.register('thrown-secret');
    expect(redactor.describe('boom thrown-secret')).toBe(`boom ${REDACTED}`);
    expect(redactor.describe(42)).toBe('42');
    expect(redactor.describe(new Error('outer', { cause: 'plain cause' }))).toBe(
      'outer: plain cause',
    );
  });

  it('falls back to the error name when the message is empty', () => {
    expect(new Redactor().describe(new TypeError())).toBe('TypeError');
  });
});
