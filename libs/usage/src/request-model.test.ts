import { describe, expect, it } from 'vitest';
import { MAX_MODEL_CHARS, MODEL_SEARCH_BYTES, requestModel } from './request-model.ts';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('requestModel', () => {
  it('reads the model in the path: Bedrock model id (decoded once), Vertex and Gemini models, Azure deployments', () => {
    expect(requestModel('/model/us.anthropic.claude-x-v1%3A0/converse')).toBe(
      'us.anthropic.claude-x-v1:0',
    );
    expect(
      requestModel('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/invoke'),
    ).toBe('arn:aws:bedrock:us-east-1:1:inference-profile/x');
    expect(
      requestModel('/v1/projects/p/locations/l/publishers/anthropic/models/claude@2025:rawPredict'),
    ).toBe('claude@2025');
    expect(requestModel('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse')).toBe(
      'gemini-2.5-flash',
    );
    expect(requestModel('/openai/deployments/prod-gpt/responses?api-version=1')).toBe('prod-gpt');
  });

  it('reads the top-level model of a JSON body, not a nested one', () => {
    expect(
      requestModel(
        '/v1/messages',
        body({ messages: [{ model: 'nested' }], model: 'claude-opus-4-1' }),
      ),
    ).toBe('claude-opus-4-1');
    expect(requestModel('/v1/messages', body({ metadata: { model: 'nested' } }))).toBeUndefined();
    expect(requestModel('/v1/messages', Buffer.from('not json'))).toBeUndefined();
    expect(requestModel('/v1/messages')).toBeUndefined();
  });

  it('searches a bounded prefix of the body and bounds the name', () => {
    const late = body({ messages: 'x'.repeat(MODEL_SEARCH_BYTES), model: 'late' });
    expect(requestModel('/v1/chat/completions', late)).toBeUndefined();
    // A long name is cut; one too long to be a name is not kept at all.
    const long = body({ model: 'm'.repeat(MAX_MODEL_CHARS * 2) });
    expect(requestModel('/v1/chat/completions', long)).toHaveLength(MAX_MODEL_CHARS);
    const absurd = body({ model: 'm'.repeat(MAX_MODEL_CHARS * 5) });
    expect(requestModel('/v1/chat/completions', absurd)).toBeUndefined();
  });
});
