import { ExchangeError } from './errors.ts';
import { describe, expect, it } from 'vitest';
import {
  MIN_SECRET_LENGTH,
  REDACTED,
  Redactor,
  SECRET_PRUNE_INTERVAL_MS,
  SECRET_RETENTION_AFTER_EXPIRY_MS,
} from './redaction.ts';

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

describe('Redactor.secretsIn', () => {
  it('names the registered secrets and token shapes inside a value, nothing else', () => {
    const redactor = new Redactor();
    redactor.register('session-token-0123456789');
    const authorization =
      'AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20261205/us-east-1/bedrock/aws4_request, ' +
      'SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
    expect(redactor.secretsIn(authorization)).toEqual(['ASIAIOSFODNN7EXAMPLE']);
    expect(redactor.secretsIn('session-token-0123456789')).toEqual(['session-token-0123456789']);
    expect(redactor.secretsIn('Bearer abcdefghijklmnopqrstuvwxyz')).toEqual([
      'abcdefghijklmnopqrstuvwxyz',
    ]);
    expect(redactor.secretsIn('20261205T101010Z')).toEqual([]);
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

describe('Redactor: every spelling of a secret', () => {
  const SIGNATURE = 'Qm9ndXMtc2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tbWF0dGVy';
  const TOKEN = `eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJyZXBvOm8vcjpyZWY6bWFpbiIsImF1ZCI6Ing3MiJ9.${SIGNATURE}`;
  const REQUEST_TOKEN = 'rq+Tok/en=With Odd&Chars"<>0123456789';

  const redactor = new Redactor();
  redactor.register(TOKEN);
  redactor.register(REQUEST_TOKEN);

  const jwtSpellings: [string, string][] = [
    ['raw', TOKEN],
    ['dots as %2E', TOKEN.replaceAll('.', '%2E')],
    ['dots as %2e', TOKEN.replaceAll('.', '%2e')],
    ['dots as \\u002e', TOKEN.replaceAll('.', '\\u002e')],
    ['dots as &#46;', TOKEN.replaceAll('.', '&#46;')],
    ['dots as &#x2E;', TOKEN.replaceAll('.', '&#x2E;')],
  ];
  it.each(jwtSpellings)('redacts a JWT written %s as one REDACTED', (_name, spelled) => {
    expect(redactor.redact(`set-cookie: t=${spelled}; Path=/`)).toBe(
      `set-cookie: t=${REDACTED}; Path=/`,
    );
  });

  it('redacts the signature alone and a JWT cut short', () => {
    expect(redactor.redact(`sig=${SIGNATURE}&x=1`)).toBe(`sig=${REDACTED}&x=1`);
    expect(redactor.redact(`body: ${TOKEN.slice(0, 120)}`)).toBe(`body: ${REDACTED}`);
  });

  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const spellings: [string, string][] = [
    ['raw', REQUEST_TOKEN],
    ['URL-encoded, upper-case hex', encodeURIComponent(REQUEST_TOKEN)],
    ['URL-encoded, lower-case hex', encodeURIComponent(REQUEST_TOKEN).toLowerCase()],
    ['form-encoded', new URLSearchParams({ t: REQUEST_TOKEN }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(REQUEST_TOKEN).slice(1, -1)],
    [
      'HTML-escaped',
      REQUEST_TOKEN.replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;'),
    ],
    [
      'HTML decimal entities',
      REQUEST_TOKEN.replace(/[^A-Za-z0-9]/g, (c) => `&#${c.charCodeAt(0)};`),
    ],
    ['in base64 Basic credentials', base64(`user:${REQUEST_TOKEN}`)],
    ['in base64url', Buffer.from(`x${REQUEST_TOKEN}`).toString('base64url')],
  ];
  it.each(spellings)('leaves no 16 characters of a secret written %s', (_name, spelled) => {
    const out = redactor.redact(`error: bad token "${spelled}" (trace 1)`);
    expect(out).toContain(REDACTED);
    for (const form of [REQUEST_TOKEN, spelled]) {
      for (let i = 0; i + 16 <= form.length; i += 1)
        expect(out).not.toContain(form.slice(i, i + 16));
    }
  });

  it('redacts each half of a secret split in two', () => {
    const half = REQUEST_TOKEN.length / 2;
    const out = redactor.redact(
      `first ${REQUEST_TOKEN.slice(0, half)} then ${REQUEST_TOKEN.slice(half)}`,
    );
    expect(out).toBe(`first ${REDACTED} then ${REDACTED}`);
  });
});

describe('Redactor.remoteText', () => {
  it('redacts before it cuts, so no head of a secret survives the cut', () => {
    const redactor = new Redactor();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    redactor.register(secret);
    const text = `${'x'.repeat(280)} ${secret} tail`;
    const out = redactor.remoteText(text, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(secret.slice(0, 10));
  });

  it('flattens remote text to one line and describes thrown values with their causes', () => {
    const redactor = new Redactor();
    redactor.register('cause-secret-1');
    expect(redactor.remoteText('a\nb\r\nc')).toBe('a b c');
    expect(
      redactor.remoteText(new Error('outer', { cause: new Error('x cause-secret-1\ny') })),
    ).toBe(`outer: x ${REDACTED} y`);
  });

  it('bounds describe()', () => {
    expect(new Redactor().describe(new Error('e'.repeat(5000))).length).toBeLessThanOrEqual(1000);
  });
});

describe('Redactor retention', () => {
  it('drops a secret once its credential expired longer ago than the window; static keys stay', () => {
    let now = 1_000_000;
    const redactor = new Redactor({ now: () => now, retainAfterExpiryMs: 60_000 });
    redactor.register('static-key-123456');
    redactor.register('short-lived-token-1', { expiresAt: now + 300_000 });
    now += 300_000 + 59_000;
    expect(redactor.redact('short-lived-token-1')).toBe(REDACTED);
    now += 2 * 60_000;
    expect(redactor.redact('short-lived-token-1 static-key-123456')).toBe(
      `short-lived-token-1 ${REDACTED}`,
    );
  });

  it('extends the retention when a secret is registered again with a later expiry, never shortens it', () => {
    let now = 0;
    const redactor = new Redactor({ now: () => now, retainAfterExpiryMs: 0 });
    redactor.register('renewed-token-1', { expiresAt: 100_000 });
    redactor.register('renewed-token-1', { expiresAt: 500_000 });
    redactor.register('renewed-token-1', { expiresAt: 50_000 });
    now = 400_000;
    expect(redactor.redact('renewed-token-1')).toBe(REDACTED);
  });

  const token = (i: number) => `tok${i.toString(36).padStart(8, '0')}x${(i * 7919).toString(36)}`;

  it('stays bounded over 100,000 registrations: size, index and prune passes do not grow with the count', () => {
    let now = 0;
    const redactor = new Redactor({ now: () => now });
    redactor.register('static-key-abcdef0123456789');
    const lifetimeMs = 300_000;
    const registrations = 100_000;
    let maxForms = 0;
    let maxIndex = 0;
    for (let i = 0; i < registrations; i += 1) {
      // One exchange per second during an outage, each with a fresh 5-minute token.
      redactor.register(token(i), { expiresAt: now + lifetimeMs });
      now += 1000;
      if (i % 1000 === 0) {
        const { forms, indexSize } = redactor.stats();
        maxForms = Math.max(maxForms, forms);
        maxIndex = Math.max(maxIndex, indexSize);
      }
    }
    // Live secrets at any time: lifetime + retention + one prune interval, in seconds.
    const liveBound =
      (lifetimeMs + SECRET_RETENTION_AFTER_EXPIRY_MS + SECRET_PRUNE_INTERVAL_MS) / 1000;
    const { forms, prunes } = redactor.stats();
    const formsPerSecret = 12;
    expect(maxForms).toBeLessThan(liveBound * formsPerSecret);
    expect(forms).toBeLessThan(liveBound * formsPerSecret);
    expect(maxIndex).toBeLessThan(liveBound * formsPerSecret * 2);
    // A pass over the registry at most once per prune interval, never per registration.
    expect(prunes).toBeLessThanOrEqual((registrations * 1000) / SECRET_PRUNE_INTERVAL_MS + 1);
    expect(redactor.redact('static-key-abcdef0123456789')).toBe(REDACTED);
    expect(redactor.redact(token(registrations - 1))).toBe(REDACTED);
    // Long expired: dropped, so no longer costs memory (and no longer worth hiding).
    expect(redactor.redact(token(0))).toBe(token(0));
  }, 30_000);
});
