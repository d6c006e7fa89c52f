import OpenAI, { AuthenticationError, AzureOpenAI } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiUpstream } from './openai.ts';
import type { FakeUpstream } from './sse.ts';

const PIECES = ['One', ' two', ' three'];
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

describe('startOpenAiUpstream', () => {
  let upstream: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startOpenAiUpstream({ chunks: PIECES });
    client = new OpenAI({ apiKey: 'sk-test-key', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
  });
  afterEach(() => {
    upstream.stream.holdAfter = undefined;
    upstream.stream.release();
  });
  afterAll(() => upstream.close());

  const last = () => upstream.requests.at(-1)!;

  it('answers a chat completion the SDK parses, and records the request', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
    });
    expect(completion.choices[0]?.message.content).toBe('One two three');
    expect(completion.model).toBe('gpt-4o');
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(last().url).toBe('/v1/chat/completions');
    expect(last().headers.authorization).toBe('Bearer sk-test-key');
    expect(JSON.parse(last().body.toString())).toMatchObject({
      model: 'gpt-4o',
      messages: MESSAGES,
    });
  });

  it('streams chat completion chunks ending with [DONE], with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let finish: string | null | undefined;
    let total: number | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) total = chunk.usage.total_tokens;
    }
    expect(deltas).toEqual(PIECES);
    expect(finish).toBe('stop');
    expect(total).toBeGreaterThan(3);
  });

  it('answers the Responses API, JSON and streamed through the SDK helper', async () => {
    const response = await client.responses.create({ model: 'gpt-5', input: 'hi' });
    expect(response.output_text).toBe('One two three');
    expect(response.status).toBe('completed');
    expect(last().url).toBe('/v1/responses');

    const stream = client.responses.stream({ model: 'gpt-5', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual(PIECES);
    expect(final.output_text).toBe('One two three');
  });

  it('serves Azure classic deployment paths with api-version, as the AzureOpenAI SDK sends them', async () => {
    const azure = new AzureOpenAI({
      endpoint: upstream.url,
      apiKey: 'azure-key',
      apiVersion: '2024-10-21',
      deployment: 'my-gpt',
      maxRetries: 0,
    });
    const completion = await azure.chat.completions.create({ model: '', messages: MESSAGES });
    expect(completion.choices[0]?.message.content).toBe('One two three');
    expect(completion.model).toBe('my-gpt');
    expect(last().url).toBe('/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21');
    expect(last().headers['api-key']).toBe('azure-key');
    expect(last().headers.authorization).toBeUndefined();

    const stream = await azure.chat.completions.create({
      model: '',
      messages: MESSAGES,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('One two three');
  });

  it('answers 404 to a classic deployment path without api-version, like Azure', async () => {
    const res = await fetch(`${upstream.url}/openai/deployments/d/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(404);
  });

  it('serves the Azure v1 paths /openai/v1/chat/completions and /openai/v1/responses', async () => {
    const v1 = new OpenAI({
      apiKey: 'unused',
      baseURL: `${upstream.url}/openai/v1`,
      maxRetries: 0,
    });
    await v1.chat.completions.create({ model: 'dep', messages: MESSAGES });
    expect(last().url).toBe('/openai/v1/chat/completions');
    const response = await v1.responses.create({ model: 'dep', input: 'hi' });
    expect(response.output_text).toBe('One two three');
    expect(last().url).toBe('/openai/v1/responses');
  });

  it('answers errors in the OpenAI shape: bad JSON 400, unknown path 404', async () => {
    const bad = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const unknown = await fetch(`${upstream.url}/v1/nothing`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });

  it('holds a stream after its first chunk until released', async () => {
    upstream.stream.holdAfter = 1;
    const heldBefore = upstream.stream.held;
    const completedBefore = upstream.stream.completed;
    const res = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: MESSAGES, stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    expect(first.value).toMatch(/^data: \{.*"role":"assistant"/);
    await upstream.stream.waitFor('held', heldBefore + 1);
    expect(upstream.stream.completed).toBe(completedBefore);
    upstream.stream.release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += chunk.value;
    expect(rest).toContain('"content":" three"');
    expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
    await upstream.stream.waitFor('completed', completedBefore + 1);
  });

  it('counts a client abort while the stream is held', async () => {
    upstream.stream.holdAfter = 1;
    const abortedBefore = upstream.stream.aborted;
    const completedBefore = upstream.stream.completed;
    const controller = new AbortController();
    const res = await fetch(`${upstream.url}/v1/responses`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', input: 'hi', stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(
      /^event: response\.created\n/,
    );
    controller.abort();
    await upstream.stream.waitFor('aborted', abortedBefore + 1);
    expect(upstream.stream.completed).toBe(completedBefore);
  });
});

describe('startOpenAiUpstream with authorize', () => {
  it('answers 401 in the OpenAI shape when authorize refuses, and records the request', async () => {
    const upstream = await startOpenAiUpstream({
      authorize: (request) => request.headers.authorization === 'Bearer good',
    });
    try {
      const bad = new OpenAI({ apiKey: 'bad', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
      await expect(
        bad.chat.completions.create({ model: 'm', messages: MESSAGES }),
      ).rejects.toBeInstanceOf(AuthenticationError);
      const good = new OpenAI({ apiKey: 'good', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
      await expect(
        good.chat.completions.create({ model: 'm', messages: MESSAGES }),
      ).resolves.toHaveProperty('object', 'chat.completion');
      expect(upstream.count('/v1/chat/completions')).toBe(2);
    } finally {
      await upstream.close();
    }
  });
});
