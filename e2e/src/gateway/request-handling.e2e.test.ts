import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicUpstream, startOpenAiUpstream } from '@keyless/fakes';
import type { FakeUpstream } from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { rawRequest } from './raw-http.ts';

const OPENAI_KEY = 'sk-handling-openai-0123456789';
const CLIENT_KEY = 'per-run-client-key-0123456789';

describe('request handling', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    [openai, anthropic] = await Promise.all([startOpenAiUpstream(), startAnthropicUpstream()]);
    gateway = await startGatewayProcess({
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_API_TARGET: openai.url,
      ANTHROPIC_API_KEY: 'sk-ant-handling-0123456789',
      ANTHROPIC_API_TARGET: anthropic.url,
      KEYLESS_BODY_LIMIT: '1024',
      KEYLESS_CLIENT_KEY: CLIENT_KEY,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close()]);
  });

  const auth = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };

  it('streams SSE chunk by chunk: the first chunk arrives before the upstream finishes', async () => {
    openai.stream.holdAfter = 2;
    try {
      const res = await fetch(`${gateway.url('openai')}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          model: 'gpt-fake',
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain('chat.completion.chunk');
      await openai.stream.waitFor('held');
      // The upstream is holding the rest of the stream while the client already has data.
      expect(openai.stream.completed).toBe(0);
      openai.stream.release();
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        rest += new TextDecoder().decode(chunk.value);
      expect(rest).toContain('data: [DONE]');
    } finally {
      openai.stream.holdAfter = undefined;
      openai.stream.release();
    }
  });

  it('a client abort reaches the upstream', async () => {
    openai.stream.holdAfter = 1;
    const abortedBefore = openai.stream.aborted;
    try {
      const controller = new AbortController();
      const res = await fetch(`${gateway.url('openai')}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ model: 'gpt-fake', stream: true, messages: [] }),
        signal: controller.signal,
      });
      await res.body!.getReader().read();
      controller.abort();
      await openai.stream.waitFor('aborted', abortedBefore + 1);
      expect(openai.stream.aborted).toBe(abortedBefore + 1);
    } finally {
      openai.stream.holdAfter = undefined;
      openai.stream.release();
    }
  });

  it('413 for a body over the limit, with Content-Length', async () => {
    const before = openai.requests.length;
    const res = await fetch(`${gateway.url('openai')}/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: 'x'.repeat(2048),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: 'payload_too_large', type: 'keyless_error' },
    });
    expect(openai.requests.length).toBe(before);
  });

  it('413 for a chunked body over the limit, in the Anthropic shape on the anthropic route', async () => {
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${gateway.url('anthropic')}/v1/messages`,
        {
          method: 'POST',
          headers: { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      Readable.from(['{"a":"', 'y'.repeat(800), 'y'.repeat(800), '"}']).pipe(req);
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body)).toMatchObject({
      type: 'error',
      error: { type: 'request_too_large', code: 'payload_too_large' },
    });
  });

  it('rejects absolute-form and //host targets with 400', async () => {
    const before = openai.requests.length;
    const absolute = await rawRequest(
      gateway.url('openai'),
      `GET http://evil.example/v1/models HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nConnection: close\r\n\r\n`,
    );
    expect(absolute).toMatch(/^HTTP\/1\.1 400/);
    expect(absolute).toContain('bad_request_target');
    const doubleSlash = await rawRequest(
      gateway.url('openai'),
      `GET //evil.example/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nConnection: close\r\n\r\n`,
    );
    expect(doubleSlash).toMatch(/^HTTP\/1\.1 400/);
    expect(doubleSlash).toContain('bad_request_target');
    expect(openai.requests.length).toBe(before);
  });

  it('requires the client key and replaces it with the real credential', async () => {
    const before = openai.requests.length;
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-key' },
      { 'x-api-key': 'wrong-key' },
    ] as Record<string, string>[]) {
      const res = await fetch(`${gateway.url('openai')}/v1/models`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized_client' } });
    }
    expect(openai.requests.length).toBe(before);

    const ok = await fetch(`${gateway.url('openai')}/v1/models`, {
      headers: { 'api-key': CLIENT_KEY },
    });
    expect(ok.status).toBe(200);
    const seen = openai.requests.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seen.headers['api-key']).toBeUndefined();
  });

  it('answers 502 in the route flavor when the upstream drops the connection', async () => {
    openai.inject({ drop: true, times: 1 });
    const res = await fetch(`${gateway.url('openai')}/v1/models`, { headers: auth });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error: { code: 'upstream_unreachable', type: 'keyless_error' },
    });
  });

  it('passes upstream errors through untouched', async () => {
    openai.inject({
      status: 429,
      body: '{"error":{"message":"slow down"}}',
      headers: { 'retry-after': '7' },
      times: 1,
    });
    const res = await fetch(`${gateway.url('openai')}/v1/models`, { headers: auth });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ error: { message: 'slow down' } });
  });
});
