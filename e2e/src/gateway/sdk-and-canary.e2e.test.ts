import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicUpstream, startOpenAiUpstream } from '@keyless/fakes';
import type { FakeUpstream } from '@keyless/fakes';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const CANARIES = {
  OPENAI_API_KEY: 'sk-canary-openai-7f3a9c1e5b',
  ANTHROPIC_API_KEY: 'sk-ant-canary-2d8e4f6a0c',
  COPILOT_PROVIDER_API_KEY: 'canary-byok-9b1d3f5e7a',
  KEYLESS_CLIENT_KEY: 'canary-client-key-4c6e8a0b2d',
};

describe('official SDKs through the gateway, and no secret in any output', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gateway: GatewayProcess;
  const responses: string[] = [];

  beforeAll(async () => {
    [openai, anthropic] = await Promise.all([startOpenAiUpstream(), startAnthropicUpstream()]);
    gateway = await startGatewayProcess({
      ...CANARIES,
      OPENAI_API_TARGET: openai.url,
      ANTHROPIC_API_TARGET: anthropic.url,
      COPILOT_PROVIDER_BASE_URL: openai.url,
      KEYLESS_LOG_LEVEL: 'debug',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close()]);
  });

  it('openai SDK: chat completion and streaming', async () => {
    const client = new OpenAI({
      apiKey: CANARIES.KEYLESS_CLIENT_KEY,
      baseURL: `${gateway.url('openai')}/v1`,
      maxRetries: 0,
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe('Hello from the fake upstream.');
    responses.push(JSON.stringify(completion));

    const stream = await client.chat.completions.create({
      model: 'gpt-fake',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the fake upstream.');
    expect(openai.requests.at(-1)!.headers.authorization).toBe(`Bearer ${CANARIES.OPENAI_API_KEY}`);
  });

  it('openai SDK: Responses API through the copilot route', async () => {
    const client = new OpenAI({
      apiKey: CANARIES.KEYLESS_CLIENT_KEY,
      baseURL: `${gateway.url('copilot')}/v1`,
      maxRetries: 0,
    });
    const response = await client.responses.create({ model: 'gpt-fake', input: 'hi' });
    expect(response.output_text).toBe('Hello from the fake upstream.');
    responses.push(JSON.stringify(response));
    expect(openai.requests.at(-1)!.headers.authorization).toBe(
      `Bearer ${CANARIES.COPILOT_PROVIDER_API_KEY}`,
    );
  });

  it('anthropic SDK: messages and streaming', async () => {
    const client = new Anthropic({
      apiKey: CANARIES.KEYLESS_CLIENT_KEY,
      baseURL: gateway.url('anthropic'),
      maxRetries: 0,
    });
    const message = await client.messages.create({
      model: 'claude-fake',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toMatchObject({
      type: 'text',
      text: 'Hello from the fake upstream.',
    });
    responses.push(JSON.stringify(message));
    const stream = client.messages.stream({
      model: 'claude-fake',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ text: 'Hello from the fake upstream.' });
    expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe(CANARIES.ANTHROPIC_API_KEY);
  });

  it('gateway-made errors carry no secret either', async () => {
    const res = await fetch(`${gateway.url('openai')}/v1/models`, {
      headers: { authorization: `Bearer ${CANARIES.OPENAI_API_KEY}` },
    });
    expect(res.status).toBe(401);
    responses.push(await res.text());
  });

  it('no configured secret appears in the gateway output or any response', async () => {
    await gateway.stop();
    const leaks = findLeaks(
      { output: gateway.output(), responses: responses.join('\n') },
      Object.values(CANARIES),
    );
    expect(leaks).toEqual([]);
    expect(gateway.logs().filter((line) => line.event === 'request').length).toBeGreaterThanOrEqual(
      5,
    );
  });
});
