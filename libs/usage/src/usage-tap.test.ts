import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { frame, sse } from './testing/wire-fixtures.ts';
import { createUsageTap, type TappedAnswer, type UsageReport } from './usage-tap.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const SSE_TYPE = { 'content-type': 'text/event-stream; charset=utf-8' };
const EVENTS_TYPE = { 'content-type': 'application/vnd.amazon.eventstream' };

function answer(
  flavor: string,
  path: string,
  headers: TappedAnswer['headers'],
  extra: Partial<TappedAnswer> = {},
): TappedAnswer {
  return { flavor, path, headers, websocket: false, ...extra };
}

/** Feeds `chunks` to a fresh tap and ends it. */
async function tap(target: TappedAnswer, chunks: readonly Uint8Array[]): Promise<UsageReport> {
  const usageTap = createUsageTap(target);
  if (!usageTap) throw new Error('no tap for this answer');
  for (const chunk of chunks) usageTap.write(chunk);
  return usageTap.end();
}

/** The report of `bytes` whole, checked equal when split in two at every byte and fed byte by byte. */
async function tapEverySplit(target: TappedAnswer, bytes: Uint8Array): Promise<UsageReport> {
  const whole = await tap(target, [bytes]);
  for (let cut = 1; cut < bytes.length; cut++) {
    expect(
      await tap(target, [bytes.subarray(0, cut), bytes.subarray(cut)]),
      `cut at ${cut}`,
    ).toEqual(whole);
  }
  const single = [...bytes].map((byte) => Uint8Array.of(byte));
  expect(await tap(target, single)).toEqual(whole);
  return whole;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const tokens = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});

describe('OpenAI chat completions', () => {
  const chat = answer('openai', '/v1/chat/completions', JSON_TYPE);
  const chunk = (delta: object, extra: object = {}) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  });

  it('reads usage and the answer model from a JSON completion', async () => {
    const body = json({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi "there" {' } }],
      usage: {
        prompt_tokens: 19,
        completion_tokens: 10,
        total_tokens: 29,
        prompt_tokens_details: { cached_tokens: 6, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 4 },
      },
    });
    expect(await tapEverySplit(chat, body)).toEqual({
      shape: 'openai-chat',
      usage: tokens(19, 10, 6),
      reported: true,
      model: 'gpt-4o-2024-08-06',
      streaming: false,
      bytes: body.length,
    });
  });

  it('reads the usage chunk of an SSE stream with stream_options.include_usage', async () => {
    const body = sse([
      [undefined, chunk({ role: 'assistant', content: '' }, { usage: null })],
      [undefined, chunk({ content: 'Hel' }, { usage: null })],
      [undefined, { ...chunk({}), choices: [], usage: { prompt_tokens: 8, completion_tokens: 2 } }],
      [undefined, '[DONE]'],
    ]);
    const report = await tapEverySplit(
      answer('openai', '/v1/chat/completions', SSE_TYPE, {
        requestBody: json({ model: 'gpt-4o' }),
      }),
      body,
    );
    expect(report).toMatchObject({
      usage: tokens(8, 2),
      reported: true,
      model: 'gpt-4o',
      streaming: true,
    });
  });

  it('says no usage was reported when the stream was not asked for it', async () => {
    const body = sse([
      [undefined, chunk({ content: 'Hel' })],
      [undefined, '[DONE]'],
    ]);
    expect(await tap(answer('openai', '/v1/chat/completions', SSE_TYPE), [body])).toMatchObject({
      usage: tokens(0, 0),
      reported: false,
      model: 'gpt-4o-2024-08-06',
    });
  });

  it('takes the Azure deployment from the path as the model', async () => {
    const azure = answer(
      'azure',
      '/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21',
      JSON_TYPE,
    );
    const report = await tap(azure, [
      json({ model: 'gpt-4o', usage: { prompt_tokens: 1, completion_tokens: 1 } }),
    ]);
    expect(report.model).toBe('my-gpt');
  });
});

describe('OpenAI Responses', () => {
  const usage = {
    input_tokens: 36,
    input_tokens_details: { cached_tokens: 4 },
    output_tokens: 87,
    total_tokens: 123,
  };
  const response = (status: string, withUsage: boolean) => ({
    id: 'resp_1',
    object: 'response',
    status,
    model: 'gpt-5-codex',
    output: [],
    usage: withUsage ? usage : null,
  });

  it('reads a JSON response', async () => {
    const report = await tap(answer('openai', '/v1/responses', JSON_TYPE), [
      json(response('completed', true)),
    ]);
    expect(report).toMatchObject({
      shape: 'openai-responses',
      usage: tokens(36, 87, 4),
      model: 'gpt-5-codex',
    });
  });

  it('reads response.completed from an SSE stream', async () => {
    const body = sse([
      [
        'response.created',
        { type: 'response.created', sequence_number: 0, response: response('in_progress', false) },
      ],
      [
        'response.output_text.delta',
        { type: 'response.output_text.delta', delta: 'Hi', sequence_number: 1 },
      ],
      [
        'response.completed',
        { type: 'response.completed', sequence_number: 2, response: response('completed', true) },
      ],
    ]);
    const report = await tapEverySplit(answer('openai', '/v1/responses', SSE_TYPE), body);
    expect(report).toMatchObject({ usage: tokens(36, 87, 4), reported: true, streaming: true });
  });

  it('adds up every response.completed of a WebSocket session, one message at a time', async () => {
    const ws = answer('openai', '/v1/responses', {}, { websocket: true });
    const messages = [
      json({ type: 'response.created', response: response('in_progress', false) }),
      json({ type: 'response.completed', response: response('completed', true) }),
      Buffer.from('not json at all'),
      json({ type: 'response.completed', response: response('completed', true) }),
    ];
    expect(await tap(ws, messages)).toMatchObject({
      usage: tokens(72, 174, 8),
      reported: true,
      model: 'gpt-5-codex',
      streaming: true,
    });
  });
});

describe('Anthropic messages', () => {
  const message = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello' }],
    usage: {
      input_tokens: 12,
      cache_creation_input_tokens: 100,
      cache_read_input_tokens: 2000,
      output_tokens: 1,
      service_tier: 'standard',
    },
  };
  const stream = sse([
    ['message_start', { type: 'message_start', message: { ...message, content: [] } }],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    ['ping', { type: 'ping' }],
    [
      'content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    ],
    [
      'message_delta',
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } },
    ],
    ['message_stop', { type: 'message_stop' }],
  ]);

  it('reads input, output and cache counts from a JSON message', async () => {
    const report = await tap(answer('anthropic', '/v1/messages', JSON_TYPE), [
      json({ ...message, usage: { ...message.usage, output_tokens: 15 } }),
    ]);
    expect(report).toMatchObject({ shape: 'anthropic-messages', usage: tokens(12, 15, 2000, 100) });
  });

  it('reads message_start and the cumulative message_delta of an SSE stream', async () => {
    const report = await tapEverySplit(
      answer('anthropic', '/v1/messages?beta=true', SSE_TYPE, {
        requestBody: json({ model: 'claude-sonnet-4-5', messages: [] }),
      }),
      stream,
    );
    expect(report).toMatchObject({
      usage: tokens(12, 15, 2000, 100),
      reported: true,
      model: 'claude-sonnet-4-5',
    });
  });

  it('keeps what a stream cut after message_start reported', async () => {
    const cut = stream.subarray(0, stream.indexOf('event: content_block_delta') + 30);
    expect((await tap(answer('anthropic', '/v1/messages', SSE_TYPE), [cut])).usage).toEqual(
      tokens(12, 1, 2000, 100),
    );
  });

  it('reads Claude on Vertex through rawPredict and streamRawPredict, the model from the publisher path', async () => {
    const path =
      '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929';
    const raw = await tap(answer('google', `${path}:rawPredict`, JSON_TYPE), [json(message)]);
    expect(raw).toMatchObject({
      usage: tokens(12, 1, 2000, 100),
      model: 'claude-sonnet-4-5@20250929',
    });
    const streamed = await tap(answer('google', `${path}:streamRawPredict`, SSE_TYPE), [stream]);
    expect(streamed).toMatchObject({ usage: tokens(12, 15, 2000, 100), streaming: true });
  });
});

describe('Gemini and Vertex generateContent', () => {
  const chunk = (text: string, usage: object) => ({
    candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
    usageMetadata: usage,
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r1',
  });
  const last = {
    promptTokenCount: 9,
    candidatesTokenCount: 5,
    thoughtsTokenCount: 20,
    cachedContentTokenCount: 3,
    totalTokenCount: 34,
  };

  it('reads usageMetadata from JSON, thoughts counted as output, the model from the path', async () => {
    const report = await tap(
      answer('google', '/v1beta/models/gemini-2.5-flash:generateContent', JSON_TYPE),
      [json(chunk('hi', last))],
    );
    expect(report).toMatchObject({
      shape: 'gemini-generate',
      usage: tokens(9, 25, 3),
      model: 'gemini-2.5-flash',
    });
  });

  it('reads the last cumulative usageMetadata of an SSE stream', async () => {
    const body = sse([
      [undefined, chunk('a', { promptTokenCount: 9, totalTokenCount: 9 })],
      [undefined, chunk('b', last)],
    ]);
    const target = answer(
      'google',
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      SSE_TYPE,
    );
    expect((await tapEverySplit(target, body)).usage).toEqual(tokens(9, 25, 3));
  });

  it('reads a streamed JSON array of chunks (no alt=sse), the last one winning', async () => {
    const body = json([
      chunk('a', { promptTokenCount: 9, candidatesTokenCount: 1 }),
      chunk('b', last),
    ]);
    const path =
      '/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:streamGenerateContent';
    const report = await tap(answer('google', path, JSON_TYPE), [body]);
    expect(report).toMatchObject({
      usage: tokens(9, 25, 3),
      model: 'gemini-2.5-pro',
      streaming: false,
    });
  });
});

describe('Bedrock', () => {
  const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const path = (op: string) => `/model/${encodeURIComponent(modelId)}/${op}`;

  it('reads converse JSON, the model id from the path', async () => {
    const body = json({
      output: { message: { role: 'assistant', content: [{ text: 'hi' }] } },
      stopReason: 'end_turn',
      usage: {
        inputTokens: 30,
        outputTokens: 7,
        totalTokens: 37,
        cacheReadInputTokens: 5,
        cacheWriteInputTokens: 2,
      },
      metrics: { latencyMs: 42 },
    });
    expect(await tap(answer('bedrock', path('converse'), JSON_TYPE), [body])).toMatchObject({
      shape: 'bedrock-converse',
      usage: tokens(30, 7, 5, 2),
      model: modelId,
    });
  });

  it('reads the metadata frame of converse-stream split at every byte; exceptions are ignored', async () => {
    const body = Buffer.concat([
      frame('event', 'messageStart', { p: 'abc', role: 'assistant' }),
      frame('event', 'contentBlockDelta', { p: 'ab', contentBlockIndex: 0, delta: { text: 'Hi' } }),
      frame('exception', 'throttlingException', { usage: { inputTokens: 999 } }),
      frame('event', 'messageStop', { p: 'a', stopReason: 'end_turn' }),
      frame('event', 'metadata', {
        p: 'abcd',
        usage: { inputTokens: 30, outputTokens: 7, totalTokens: 37 },
        metrics: { latencyMs: 1 },
      }),
    ]);
    const report = await tapEverySplit(
      answer('bedrock', path('converse-stream'), EVENTS_TYPE),
      body,
    );
    expect(report).toMatchObject({ usage: tokens(30, 7), reported: true, streaming: true });
  });

  it('reads invoke JSON, the count headers winning over the body', async () => {
    const headers = {
      ...JSON_TYPE,
      'x-amzn-bedrock-input-token-count': '31',
      'x-amzn-bedrock-output-token-count': '8',
    };
    const body = json({
      type: 'message',
      model: 'claude',
      usage: { input_tokens: 30, output_tokens: 7, cache_read_input_tokens: 4 },
    });
    expect((await tap(answer('bedrock', path('invoke'), headers), [body])).usage).toEqual(
      tokens(31, 8, 4),
    );
  });

  it('reads the base64 native events of invoke-with-response-stream and their invocation metrics', async () => {
    const chunk = (event: object) =>
      frame('event', 'chunk', {
        bytes: Buffer.from(JSON.stringify(event)).toString('base64'),
        p: 'xy',
      });
    const body = Buffer.concat([
      chunk({
        type: 'message_start',
        message: {
          model: 'claude',
          usage: { input_tokens: 30, cache_creation_input_tokens: 6, output_tokens: 1 },
        },
      }),
      chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
      chunk({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 7 },
      }),
      chunk({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: 30,
          outputTokenCount: 7,
          invocationLatency: 42,
        },
      }),
    ]);
    const report = await tapEverySplit(
      answer('bedrock', path('invoke-with-response-stream'), EVENTS_TYPE),
      body,
    );
    expect(report).toMatchObject({ usage: tokens(30, 7, 0, 6), model: modelId, streaming: true });
  });
});

describe('compressed answers', () => {
  const body = json({ model: 'm', usage: { prompt_tokens: 5, completion_tokens: 6 } });

  it('decompresses gzip and br for the tap only, counting the relayed bytes', async () => {
    for (const [encoding, compressed] of [
      ['gzip', gzipSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const target = answer('openai', '/v1/chat/completions', {
        ...JSON_TYPE,
        'content-encoding': encoding,
      });
      const report = await tap(target, [compressed.subarray(0, 7), compressed.subarray(7)]);
      expect(report, encoding).toMatchObject({ usage: tokens(5, 6), bytes: compressed.length });
    }
  });

  it('ends quietly on a corrupt or cut compressed answer', async () => {
    const target = answer('openai', '/v1/chat/completions', {
      ...JSON_TYPE,
      'content-encoding': 'gzip',
    });
    expect((await tap(target, [Buffer.from('definitely not gzip')])).reported).toBe(false);
    const cut = gzipSync(
      sse([
        [undefined, { usage: { prompt_tokens: 5, completion_tokens: 6 } }],
        [undefined, 'x'.repeat(5000)],
      ]),
    );
    const sseTarget = answer('openai', '/v1/chat/completions', {
      ...SSE_TYPE,
      'content-encoding': 'gzip',
    });
    expect((await tap(sseTarget, [cut.subarray(0, cut.length - 20)])).usage).toEqual(tokens(5, 6));
  });

  it('does not tap an encoding it cannot read', () => {
    expect(
      createUsageTap(
        answer('openai', '/v1/chat/completions', { ...JSON_TYPE, 'content-encoding': 'compress' }),
      ),
    ).toBeUndefined();
  });
});

describe('what is not a model call', () => {
  it('gets no tap', () => {
    for (const [flavor, path] of [
      ['openai', '/v1/models'],
      ['anthropic', '/v1/messages/count_tokens'],
      ['google', '/v1beta/models'],
      ['bedrock', '/foundation-models'],
      ['unknown', '/v1/chat/completions'],
    ] as const) {
      expect(createUsageTap(answer(flavor, path, JSON_TYPE)), `${flavor} ${path}`).toBeUndefined();
    }
  });
});
