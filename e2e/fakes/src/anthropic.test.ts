import Anthropic, { AuthenticationError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicUpstream } from './anthropic.ts';
import type { FakeUpstream } from './sse.ts';

const PIECES = ['Claude', ' says', ' hi'];
const MESSAGES = [{ role: 'user' as const, content: 'hello' }];

describe('startAnthropicUpstream', () => {
  let upstream: FakeUpstream;
  let client: Anthropic;

  beforeAll(async () => {
    upstream = await startAnthropicUpstream({ chunks: PIECES });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 });
  });
  afterAll(() => upstream.close());

  const last = () => upstream.requests.at(-1)!;

  it('answers a message the SDK parses, and records headers and body', async () => {
    const message = await client.messages.create({
      model: 'claude-fake-1',
      max_tokens: 64,
      messages: MESSAGES,
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Claude says hi' }]);
    expect(message.model).toBe('claude-fake-1');
    expect(message.stop_reason).toBe('end_turn');
    expect(last().url).toBe('/v1/messages');
    // @anthropic-ai/sdk 1.x sends an apiKey as `Authorization: Bearer`, not `x-api-key`.
    expect(last().headers.authorization).toBe('Bearer sk-ant-test');
    expect(last().headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('streams the full event sequence, which the SDK assembles into the final message', async () => {
    const stream = client.messages.stream({
      model: 'claude-x',
      max_tokens: 64,
      messages: MESSAGES,
    });
    const types: string[] = [];
    const texts: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (text) => texts.push(text));
    const final = await stream.finalMessage();
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(texts).toEqual(PIECES);
    expect(final.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Claude says hi' }),
    ]);
    expect(final.usage.output_tokens).toBe(3);
  });

  it('sends ping between content_block_start and the first delta on the wire', async () => {
    const res = await fetch(`${upstream.url}/v1/messages`, {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 1, messages: MESSAGES, stream: true }),
    });
    const events = [...(await res.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 4)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
    expect(events.at(-1)).toBe('message_stop');
  });

  it('counts tokens', async () => {
    const count = await client.messages.countTokens({ model: 'claude-x', messages: MESSAGES });
    expect(count.input_tokens).toBeGreaterThan(0);
    expect(last().url).toBe('/v1/messages/count_tokens');
  });

  it('requires anthropic-version like the real API', async () => {
    const res = await fetch(`${upstream.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it('answers 404 in the Anthropic shape for unknown paths', async () => {
    const res = await fetch(`${upstream.url}/v1/other`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('startAnthropicUpstream with authorize', () => {
  it('answers 401 authentication_error when authorize refuses', async () => {
    const upstream = await startAnthropicUpstream({
      authorize: (r) => r.headers.authorization === 'Bearer good',
    });
    try {
      const bad = new Anthropic({ apiKey: 'bad', baseURL: upstream.url, maxRetries: 0 });
      await expect(
        bad.messages.create({ model: 'm', max_tokens: 1, messages: MESSAGES }),
      ).rejects.toBeInstanceOf(AuthenticationError);
      const good = new Anthropic({ apiKey: 'good', baseURL: upstream.url, maxRetries: 0 });
      await expect(
        good.messages.create({ model: 'm', max_tokens: 1, messages: MESSAGES }),
      ).resolves.toHaveProperty('type', 'message');
    } finally {
      await upstream.close();
    }
  });
});
