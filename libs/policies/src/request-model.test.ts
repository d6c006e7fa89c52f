import { describe, expect, it } from 'vitest';
import { hasJsonObjectBody, requestModel, rewriteBodyModel } from './request-model.ts';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('requestModel', () => {
  it.each([
    ['/v1/chat/completions', json({ model: 'gpt-4o', messages: [] }), 'gpt-4o', 'body'],
    ['/v1/messages', json({ model: 'claude-sonnet-4', max_tokens: 1 }), 'claude-sonnet-4', 'body'],
    ['/openai/v1/responses', json({ model: 'gpt-5' }), 'gpt-5', 'body'],
    [
      '/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke',
      undefined,
      'anthropic.claude-3-haiku-20240307-v1:0',
      'path',
    ],
    [
      '/model/amazon.nova-pro-v1:0/converse-stream',
      json({ messages: [] }),
      'amazon.nova-pro-v1:0',
      'path',
    ],
    [
      '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
      json({ contents: [] }),
      'gemini-2.5-pro',
      'path',
    ],
    [
      '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-opus-4:rawPredict',
      json({ model: 'ignored' }),
      'claude-opus-4',
      'path',
    ],
    ['/v1/realtime?model=gpt-realtime', undefined, 'gpt-realtime', 'path'],
    [
      '/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21',
      json({ model: 'x' }),
      'gpt4o-prod',
      'path',
    ],
  ] as const)('%s', (path, body, model, modelIn) => {
    expect(requestModel(path, body)).toEqual({ model, modelIn });
  });

  it('finds none in a body without a model, a non-JSON body, or a listing path', () => {
    expect(requestModel('/v1/chat/completions', json({ messages: [] }))).toBeUndefined();
    expect(requestModel('/v1/chat/completions', Buffer.from('model=gpt-4o'))).toBeUndefined();
    expect(requestModel('/v1/chat/completions', Buffer.from('{"model": '))).toBeUndefined();
    expect(requestModel('/v1/models/gpt-4o', undefined)).toBeUndefined();
    expect(requestModel('/v1/chat/completions', json(['gpt-4o']))).toBeUndefined();
  });
});

describe('rewriteBodyModel', () => {
  it('replaces only the model field', () => {
    const body = json({
      model: 'sonnet',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(JSON.parse(rewriteBodyModel(body, 'claude-sonnet-4.5').toString())).toEqual({
      model: 'claude-sonnet-4.5',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('refuses a body that is not a JSON object', () => {
    expect(hasJsonObjectBody(Buffer.from('  {"a":1}'))).toBe(true);
    expect(hasJsonObjectBody(Buffer.from('[1]'))).toBe(false);
    expect(() => rewriteBodyModel(Buffer.from('[1]'), 'm')).toThrow(/not a JSON object/);
  });
});
