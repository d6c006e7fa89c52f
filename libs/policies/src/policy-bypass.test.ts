import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { modelPolicyPlugin } from './model-policy.ts';
import { configurePolicies, PolicySet, type PolicyInput } from './policy-set.ts';
import { rateLimitPlugin } from './rate-limit-policy.ts';
import { fakePolicyContext } from './testing/index.ts';
import { tokenBudgetPlugin } from './token-budget-policy.ts';

// Each way around a model policy found by the audit, closed.
const PLUGINS = [modelPolicyPlugin, tokenBudgetPlugin, rateLimitPlugin];
const DENY_OPUS = { AWF_DISALLOWED_MODELS: '["*opus*"]' };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function policies(env: Record<string, string>) {
  const context = fakePolicyContext();
  return { set: new PolicySet(configurePolicies(env, PLUGINS), context), context };
}

const post = (overrides: Partial<PolicyInput>): PolicyInput => ({
  route: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  websocket: false,
  ...overrides,
});
const refusalOf = (verdict: unknown) =>
  verdict && typeof verdict === 'object' && 'refuse' in verdict
    ? (verdict as { refuse: string; message: string })
    : undefined;

describe('model policy bypasses', () => {
  it('reads the model of a gzip body (and refuses it)', () => {
    const { set } = policies(DENY_OPUS);
    const body = gzipSync(json({ model: 'claude-opus-4', messages: [] }));
    expect(refusalOf(set.check(post({ body, contentEncoding: 'gzip' })))).toMatchObject({
      refuse: 'model_not_allowed',
      message: expect.stringMatching(/^AWF_DISALLOWED_MODELS: model "claude-opus-4"/),
    });
    const allowed = gzipSync(json({ model: 'gpt-4o', messages: [] }));
    expect(set.check(post({ body: allowed, contentEncoding: 'gzip' }))).toBeUndefined();
  });

  it('refuses a compressed body it cannot read, naming the setting', () => {
    const { set } = policies({ AWF_ALLOWED_MODELS: '["gpt-*"]' });
    const refused = refusalOf(
      set.check(post({ body: Buffer.from('(zstd)'), contentEncoding: 'zstd' })),
    );
    expect(refused).toMatchObject({ refuse: 'model_not_allowed' });
    expect(refused!.message).toBe(
      'AWF_ALLOWED_MODELS: the request body is compressed with "zstd", which Keyless cannot read, so its model cannot be checked; send it uncompressed and as valid JSON',
    );
    expect(
      refusalOf(set.check(post({ body: Buffer.from('not gzip'), contentEncoding: 'gzip' })))
        ?.message,
    ).toMatch(/^AWF_ALLOWED_MODELS: the request body does not decompress as gzip/);
  });

  it('re-compresses a rewritten body with its own coding', () => {
    const { set } = policies({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    });
    const body = gzipSync(json({ model: 'fast', messages: [] }));
    const verdict = set.check(post({ body, contentEncoding: 'gzip' }));
    expect(verdict && 'body' in verdict && JSON.parse(gunzipSync(verdict.body).toString())).toEqual(
      { model: 'gpt-4o-mini', messages: [] },
    );
  });

  it('reads a body behind a UTF-8 byte order mark', () => {
    const { set } = policies(DENY_OPUS);
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ model: 'claude-opus-4' })]);
    expect(refusalOf(set.check(post({ body })))).toMatchObject({ refuse: 'model_not_allowed' });
  });

  it('matches the path model with its escapes decoded, and forwards the path untouched', () => {
    const { set } = policies(DENY_OPUS);
    for (const path of [
      '/v1beta/models/claude-opus-4%3AgenerateContent',
      '/v1beta/models/claude-opus-4%3astreamGenerateContent?alt=sse',
      '/v1beta/models/claude%2Dopus-4:generateContent',
      '/model/anthropic.claude-opus-4-v1%3A0/converse',
    ]) {
      expect(refusalOf(set.check(post({ path, body: json({}) }))), path).toMatchObject({
        refuse: 'model_not_allowed',
      });
    }
    // An encoded slash stays inside the Bedrock model id (an ARN), as AWS reads it.
    const arn = '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.opus-4/invoke';
    expect(refusalOf(set.check(post({ path: arn, body: json({}) })))?.message).toContain(
      'arn:aws:bedrock:us-east-1:1:inference-profile/us.opus-4',
    );
  });

  it('refuses a body that is declared or shaped as JSON but is not valid JSON', () => {
    const { set } = policies(DENY_OPUS);
    // A lenient upstream parser could read a model JSON.parse does not.
    const lenient = Buffer.from('{"model": "claude-opus-4", "temperature": NaN}');
    expect(refusalOf(set.check(post({ body: lenient })))?.message).toBe(
      'AWF_DISALLOWED_MODELS: the request body is not valid JSON, so its model cannot be checked; send it uncompressed and as valid JSON',
    );
    const declared = Buffer.from('model=claude-opus-4');
    expect(
      refusalOf(
        set.check(post({ body: declared, contentType: 'application/json; charset=utf-8' })),
      ),
    ).toMatchObject({ refuse: 'model_not_allowed' });
  });

  it('passes bodies that are not JSON, and unreadable ones when only aliases are set', () => {
    expect(
      policies(DENY_OPUS).set.check(
        post({
          path: '/v1/audio/transcriptions',
          body: Buffer.from('--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n...'),
          contentType: 'multipart/form-data; boundary=b',
        }),
      ),
    ).toBeUndefined();
    const aliasesOnly = policies({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    });
    expect(
      aliasesOnly.set.check(post({ body: Buffer.from('x'), contentEncoding: 'zstd' })),
    ).toBeUndefined();
  });

  it('ignores an unreadable body when the path names the model (the upstream reads that one)', () => {
    const { set } = policies(DENY_OPUS);
    const path = '/model/amazon.nova-pro-v1:0/converse';
    expect(
      set.check(post({ path, body: Buffer.from('x'), contentEncoding: 'zstd' })),
    ).toBeUndefined();
  });
});

describe('WebSocket messages (Responses API over WebSocket)', () => {
  const message = (value: unknown) => ({
    route: 'openai',
    path: '/v1/responses',
    message: typeof value === 'string' ? Buffer.from(value) : json(value),
  });
  const create = (model: string) => message({ type: 'response.create', model, input: [] });

  it('checks the model of each response.create; other messages pass unseen', () => {
    const { set } = policies({ ...DENY_OPUS, AWF_RATE_LIMIT_RPM: '1' });
    expect(refusalOf(set.checkMessage(create('claude-opus-4')))).toMatchObject({
      refuse: 'model_not_allowed',
      message: expect.stringMatching(/^AWF_DISALLOWED_MODELS: model "claude-opus-4"/),
    });
    expect(set.checkMessage(message({ type: 'response.cancel' }))).toBeUndefined();
    expect(set.checkMessage(message(['not', 'an', 'event']))).toBeUndefined();
    // A response.create is a request for the rate limits: the first passes, the second waits.
    expect(set.checkMessage(create('gpt-4o'))).toBeUndefined();
    expect(refusalOf(set.checkMessage(create('gpt-4o')))).toMatchObject({ refuse: 'rate_limited' });
    expect(set.checkMessage(message({ type: 'response.cancel' }))).toBeUndefined();
  });

  it('enforces an allowlist and refuses a message that is not JSON', () => {
    const { set } = policies({ AWF_ALLOWED_MODELS: '["gpt-*"]' });
    expect(set.checkMessage(create('gpt-5'))).toBeUndefined();
    expect(refusalOf(set.checkMessage(create('o3')))).toMatchObject({
      refuse: 'model_not_allowed',
    });
    expect(
      refusalOf(set.checkMessage(message('{"type":"response.create","model":"o3",'))),
    ).toMatchObject({
      refuse: 'model_not_allowed',
      message: expect.stringContaining('is not valid JSON'),
    });
  });

  it('rewrites an alias in the message sent', () => {
    const { set } = policies({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    });
    const verdict = set.checkMessage(create('fast'));
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      type: 'response.create',
      model: 'gpt-4o-mini',
      input: [],
    });
  });

  it('refuses every response.create once the budget is spent', () => {
    const { set } = policies({ AWF_MAX_EFFECTIVE_TOKENS: '10' });
    expect(set.checkMessage(create('gpt-4o'))).toBeUndefined();
    set.recordUsage({
      route: 'openai',
      inputTokens: 10,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(refusalOf(set.checkMessage(create('gpt-4o')))).toMatchObject({
      refuse: 'budget_exhausted',
    });
    expect(set.checkMessage(message({ type: 'response.cancel' }))).toBeUndefined();
  });
});

describe('token budget: streamed chat completions without include_usage', () => {
  it('adds stream_options.include_usage to the body that is signed and sent', () => {
    const { set } = policies({ AWF_MAX_EFFECTIVE_TOKENS: '1000' });
    const verdict = set.check(
      post({ body: json({ model: 'gpt-4o', stream: true, messages: [] }) }),
    );
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o',
      stream: true,
      messages: [],
      stream_options: { include_usage: true },
    });
  });

  it('composes with an alias rewrite', () => {
    const { set } = policies({
      AWF_MAX_EFFECTIVE_TOKENS: '1000',
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    });
    const verdict = set.check(post({ body: json({ model: 'fast', stream: true }) }));
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});
