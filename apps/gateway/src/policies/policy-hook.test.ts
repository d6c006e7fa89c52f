import { configurePolicies, PolicySet } from '@keyless/policies';
import { fakePolicyContext } from '@keyless/policies/testing';
import { describe, expect, it } from 'vitest';
import { POLICY_PLUGINS } from '../policy-plugins.ts';
import { gzipSync } from 'node:zlib';
import { screenMessage, type ProxiedRequest, type RequestHook } from '../proxy/request-hooks.ts';
import { createPolicyHook } from './policy-hook.ts';

function hook(env: Record<string, string>) {
  return createPolicyHook(
    new PolicySet(configurePolicies(env, POLICY_PLUGINS), fakePolicyContext()),
  );
}

const request = (model: string, overrides: Partial<ProxiedRequest> = {}): ProxiedRequest => ({
  route: 'openai',
  flavor: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { authorization: 'Bearer client-side' },
  body: Buffer.from(JSON.stringify({ model, messages: [] })),
  websocket: false,
  startedAt: 0,
  ...overrides,
});

describe('createPolicyHook', () => {
  it('passes everything without policies', () => {
    expect(hook({}).beforeSend!(request('gpt-4o'))).toBeUndefined();
  });

  it('turns a rate refusal into the gateway code with Retry-After and the X-RateLimit figures', () => {
    // The policies' clock (fakePolicyContext) stands at 2025-01-01 00:00:00.
    const policies = hook({ AWF_RATE_LIMIT_RPM: '1' });
    expect(policies.beforeSend!(request('gpt-4o'))).toBeUndefined();
    expect(policies.beforeSend!(request('gpt-4o'))).toEqual({
      refuse: 'rate_limited',
      message: expect.stringMatching(/^AWF_RATE_LIMIT_RPM: /),
      headers: {
        'retry-after': '60',
        'x-ratelimit-limit': '1',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Date.UTC(2025, 0, 1, 0, 1, 0) / 1000),
      },
    });
  });

  it('refuses a WebSocket handshake past the rate like any request', () => {
    const policies = hook({ AWF_RATE_LIMIT_RPM: '1' });
    const handshake = request('', { method: 'GET', path: '/v1/responses', websocket: true });
    delete (handshake as { body?: Buffer }).body;
    expect(policies.beforeSend!(handshake)).toBeUndefined();
    expect(policies.beforeSend!(handshake)).toMatchObject({
      refuse: 'rate_limited',
      headers: { 'retry-after': '60' },
    });
  });

  it('reads the model of a gzip body and a body declared JSON (headers pass to the policies)', () => {
    const policies = hook({ AWF_DISALLOWED_MODELS: '["*opus*"]' });
    const body = gzipSync(JSON.stringify({ model: 'claude-opus-4' }));
    expect(
      policies.beforeSend!(request('', { body, headers: { 'content-encoding': 'gzip' } })),
    ).toMatchObject({ refuse: 'model_not_allowed' });
    expect(
      policies.beforeSend!(
        request('', {
          body: Buffer.from('model: claude-opus-4'),
          headers: { 'content-type': 'application/json' },
        }),
      ),
    ).toMatchObject({
      refuse: 'model_not_allowed',
      message: expect.stringContaining('is not valid JSON'),
    });
  });

  it('makes a streamed chat completion ask for usage when a budget is on', () => {
    const verdict = hook({ AWF_MAX_EFFECTIVE_TOKENS: '100' }).beforeSend!(
      request('', { body: Buffer.from(JSON.stringify({ model: 'gpt-4o', stream: true })) }),
    );
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('refuses a path model without a Retry-After', () => {
    const verdict = hook({ AWF_DISALLOWED_MODELS: '["*opus*"]' }).beforeSend!(
      request('', {
        route: 'bedrock',
        flavor: 'bedrock',
        path: '/model/anthropic.claude-opus-4-v1:0/converse',
      }),
    );
    expect(verdict).toEqual({
      refuse: 'model_not_allowed',
      message: expect.stringMatching(/^AWF_DISALLOWED_MODELS: /),
    });
  });

  it('hands the rewritten body to the pipeline', () => {
    const verdict = hook({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    }).beforeSend!(request('fast'));
    expect(verdict && 'body' in verdict && JSON.parse(verdict.body.toString())).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
    });
  });

  it('feeds reported usage from the usage accounting to the budget', () => {
    const policies = hook({ AWF_MAX_EFFECTIVE_TOKENS: '8' });
    const record = {
      requestId: 'r-1',
      route: 'openai',
      flavor: 'openai',
      model: 'gpt-4o',
      path: '/v1/chat/completions',
      status: 200,
      streaming: false,
      usage: { input: 0, output: 2, cacheRead: 0, cacheWrite: 0 },
      durationMs: 1,
      responseBytes: 10,
      endedAt: 0,
    };
    policies.usageSink({ ...record, reported: false, usage: { ...record.usage, output: 99 } });
    expect(policies.beforeSend!(request('gpt-4o'))).toBeUndefined();
    policies.usageSink({ ...record, reported: true });
    expect(policies.beforeSend!(request('gpt-4o'))).toMatchObject({ refuse: 'budget_exhausted' });
  });
});

describe('WebSocket messages through the hooks (screenMessage)', () => {
  const handshake = request('', { method: 'GET', path: '/v1/responses', websocket: true });
  const create = (model: string) =>
    Buffer.from(JSON.stringify({ type: 'response.create', model, input: [] }));
  const redact = (text: string) => text.replaceAll('sk-secret', '[REDACTED]');
  const screen = (hooks: RequestHook[], message: Buffer) =>
    screenMessage(hooks, handshake, message, redact);

  it('relays permitted and non-request messages as they are', () => {
    const policies = hook({ AWF_ALLOWED_MODELS: '["gpt-*"]' });
    const message = create('gpt-5');
    expect(screen([policies], message)).toEqual({ relay: message });
    const cancel = Buffer.from('{"type":"response.cancel"}');
    expect(screen([policies], cancel)).toEqual({ relay: cancel });
  });

  it('answers a refused model with a Responses error event and relays nothing', () => {
    const screened = screen([hook({ AWF_ALLOWED_MODELS: '["gpt-*"]' })], create('claude-opus-4'));
    expect('reply' in screened && JSON.parse(screened.reply)).toEqual({
      type: 'error',
      status: 400,
      error: {
        type: 'keyless_error',
        code: 'model_not_allowed',
        message:
          'AWF_ALLOWED_MODELS: model "claude-opus-4" is not permitted: it matches none of the allowed models',
      },
    });
  });

  it('refuses a response.create with 429 once the budget is spent', () => {
    const policies = hook({ AWF_MAX_EFFECTIVE_TOKENS: '4' });
    expect(screen([policies], create('gpt-4o'))).toEqual({ relay: create('gpt-4o') });
    policies.usageSink({
      requestId: 'r-1',
      route: 'openai',
      flavor: 'openai',
      model: 'gpt-4o',
      path: '/v1/responses',
      status: 101,
      streaming: true,
      reported: true,
      usage: { input: 0, output: 1, cacheRead: 0, cacheWrite: 0 },
      durationMs: 1,
      responseBytes: 10,
      endedAt: 0,
    });
    const screened = screen([policies], create('gpt-4o'));
    expect('reply' in screened && JSON.parse(screened.reply)).toMatchObject({
      type: 'error',
      status: 429,
      error: { code: 'budget_exhausted' },
    });
  });

  it('relays the rewritten message, which later hooks see', () => {
    const seen: string[] = [];
    const aliases = hook({
      AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
    });
    const screened = screen(
      [aliases, { beforeMessage: (_request, message) => void seen.push(message.toString()) }],
      create('fast'),
    );
    expect('relay' in screened && JSON.parse(screened.relay.toString())).toMatchObject({
      model: 'gpt-4o-mini',
    });
    expect(seen.map((text) => JSON.parse(text).model)).toEqual(['gpt-4o-mini']);
  });

  it('refuses only the message when a hook throws, and redacts what it answers', () => {
    const throwing: RequestHook = {
      beforeMessage: () => {
        throw new Error('boom');
      },
    };
    expect(screen([throwing], create('gpt-4o'))).toEqual({
      reply: expect.stringContaining('"code":"bad_request"'),
    });
    const leaky: RequestHook = {
      beforeMessage: () => ({ refuse: 'rate_limited', message: 'key sk-secret refused' }),
    };
    const screened = screen([leaky], create('gpt-4o'));
    expect('reply' in screened && screened.reply).toContain('key [REDACTED] refused');
    expect('reply' in screened && screened.reply).not.toContain('sk-secret');
  });
});
