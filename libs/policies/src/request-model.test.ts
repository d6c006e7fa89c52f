import { describe, expect, it } from 'vitest';
import { namedModel, readJsonBody } from './request-model.ts';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The model of a request with `body` as its (uncompressed) body. */
function requestModel(path: string, body: Buffer | undefined) {
  return namedModel(path, () => {
    const parsed = readJsonBody(body);
    return parsed.kind === 'object' ? parsed.value : undefined;
  });
}

describe('namedModel', () => {
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
