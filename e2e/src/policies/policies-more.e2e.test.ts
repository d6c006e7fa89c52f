import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  startAnthropicUpstream,
  startGoogleUpstream,
  startOpenAiUpstream,
  startWebSocketUpstream,
  type FakeUpstream,
  type WebSocketUpstream,
} from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

// Rate limits by the hour and by body bytes, refusals in the Anthropic and
// Google shapes, the bypasses the audit found, and a refused WebSocket handshake.
const KEYS = {
  OPENAI_API_KEY: 'sk-static-openai-policies2-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-policies2-0123456789',
  GEMINI_API_KEY: 'gemini-policies2-0123456789',
};

const chat = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
const anthropicBody = (model: string) =>
  JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const geminiBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

function post(
  gateway: GatewayProcess,
  route: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  return fetch(`${gateway.url(route)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

/** The answer to a WebSocket handshake that was not upgraded: status, headers, body. */
function refusedHandshake(url: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => {
        ws.close();
        reject(new Error('the handshake was upgraded'));
      });
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      });
      ws.once('error', (error) => reject(error));
    },
  );
}

describe('request policies through the real process (more)', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let google: FakeUpstream;
  let sockets: WebSocketUpstream;
  const gateways: GatewayProcess[] = [];
  const start = async (env: Record<string, string>, openaiTarget?: string) => {
    const gateway = await startGatewayProcess({
      ...KEYS,
      OPENAI_API_TARGET: openaiTarget ?? openai.url,
      ANTHROPIC_API_TARGET: anthropic.url,
      GEMINI_API_TARGET: google.url,
      ...env,
    });
    gateways.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    [openai, anthropic, google, sockets] = await Promise.all([
      startOpenAiUpstream(),
      startAnthropicUpstream(),
      startGoogleUpstream(),
      startWebSocketUpstream(),
    ]);
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await Promise.all([openai?.close(), anthropic?.close(), google?.close(), sockets?.close()]);
  });

  it('AWF_RATE_LIMIT_RPH=1: the second request within the hour gets 429 with Retry-After and X-RateLimit figures', async () => {
    const gateway = await start({ AWF_RATE_LIMIT_RPH: '1' });
    const first = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const before = openai.requests.length;
    const second = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(55 * 60);
    expect(retryAfter).toBeLessThanOrEqual(60 * 60);
    expect(second.headers.get('x-ratelimit-limit')).toBe('1');
    expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(second.headers.get('x-ratelimit-reset'));
    expect(Math.abs(reset - (Date.now() / 1000 + retryAfter))).toBeLessThan(30);
    const body = (await second.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(
      /^AWF_RATE_LIMIT_RPH: route openai is at its limit of 1 requests per hour; retry in \d+ s$/,
    );
    expect(openai.requests.length).toBe(before);
  });

  it('AWF_RATE_LIMIT_BYTES_PM: 413 for a body that can never fit, 429 for one that must wait', async () => {
    const gateway = await start({ AWF_RATE_LIMIT_BYTES_PM: '300' });
    const before = openai.requests.length;
    const huge = await post(
      gateway,
      'openai',
      '/v1/chat/completions',
      chat('gpt-4o', { pad: 'x'.repeat(400) }),
    );
    expect(huge.status).toBe(413);
    expect(huge.headers.get('retry-after')).toBeNull();
    const hugeBody = (await huge.json()) as { error: { code: string; message: string } };
    expect(hugeBody.error.code).toBe('payload_too_large');
    expect(hugeBody.error.message).toMatch(
      /^AWF_RATE_LIMIT_BYTES_PM: the request body \(\d+ bytes\) is larger than the limit of 300 bytes per minute$/,
    );

    const fits = chat('gpt-4o', { pad: 'x'.repeat(120) }); // about 200 bytes
    const first = await post(gateway, 'openai', '/v1/chat/completions', fits);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await post(gateway, 'openai', '/v1/chat/completions', fits);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.headers.get('x-ratelimit-limit')).toBe('300');
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(300 - Buffer.byteLength(fits));
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(openai.requests.length - before).toBe(1);
  });

  it('a refused WebSocket handshake gets a raw 429 with Retry-After, and nothing reaches the upstream', async () => {
    const gateway = await start({ AWF_RATE_LIMIT_RPM: '1' }, sockets.url);
    const url = `${gateway.url('openai').replace('http:', 'ws:')}/v1/responses`;
    const opened = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      opened.once('open', () => resolve());
      opened.once('error', reject);
    });
    opened.close();
    const handshakes = sockets.handshakes.length;

    const refused = await refusedHandshake(url);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(50);
    expect(refused.headers['x-ratelimit-limit']).toBe('1');
    const body = JSON.parse(refused.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/^AWF_RATE_LIMIT_RPM: /);
    expect(sockets.handshakes.length).toBe(handshakes);
  });

  it('WebSocket sessions: each response.create is checked (refused with an error event, the session goes on) and aliased', async () => {
    const gateway = await start(
      {
        AWF_DISALLOWED_MODELS: '["*opus*"]',
        AWF_MODEL_ALIASES: JSON.stringify({ models: { fast: ['openai/gpt-4o-mini'] } }),
      },
      sockets.url,
    );
    const session = new WebSocket(`${gateway.url('openai').replace('http:', 'ws:')}/v1/responses`);
    const received: string[] = [];
    session.on('message', (data: Buffer) => received.push(data.toString()));
    await new Promise<void>((resolve, reject) => {
      session.once('open', () => resolve());
      session.once('error', reject);
    });
    const create = (model: string) => JSON.stringify({ type: 'response.create', model });

    session.send(create('claude-opus-4'));
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const refusal = JSON.parse(received[0]!) as {
      type: string;
      status: number;
      error: { code: string; message: string };
    };
    expect(refusal).toMatchObject({ type: 'error', status: 400 });
    expect(refusal.error.code).toBe('model_not_allowed');
    expect(refusal.error.message).toMatch(/AWF_DISALLOWED_MODELS/);

    // The socket is still open; the echoing upstream hands back what it was sent, in order,
    // so once the aliased message is back, a relayed refused one would have come back first.
    session.send(create('fast'));
    const aliased = create('gpt-4o-mini');
    await vi.waitFor(() => expect(received).toContain(aliased));
    expect(received).toEqual([received[0], aliased]);
    session.close();
  });

  describe('model policy: Anthropic and Google shapes, and the bypasses', () => {
    let gateway: GatewayProcess;
    beforeAll(async () => {
      gateway = await start({ AWF_DISALLOWED_MODELS: '["*opus*"]' });
    });

    it('refuses in the Anthropic shape', async () => {
      const before = anthropic.requests.length;
      const res = await post(gateway, 'anthropic', '/v1/messages', anthropicBody('claude-opus-4'));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code: 'model_not_allowed',
          message:
            'AWF_DISALLOWED_MODELS: model "claude-opus-4" is not permitted: it matches the disallowed pattern "*opus*"',
        },
      });
      expect(anthropic.requests.length).toBe(before);
    });

    it('refuses a path model in the Google shape, also with an encoded colon', async () => {
      const before = google.requests.length;
      for (const path of [
        '/v1beta/models/gemini-opus:generateContent',
        '/v1beta/models/gemini-opus%3AgenerateContent',
      ]) {
        const res = await post(gateway, 'gemini', path, geminiBody);
        expect(res.status, path).toBe(400);
        expect(await res.json()).toEqual({
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            keyless_code: 'model_not_allowed',
            message:
              'AWF_DISALLOWED_MODELS: model "gemini-opus" is not permitted: it matches the disallowed pattern "*opus*"',
          },
        });
      }
      expect(google.requests.length).toBe(before);
    });

    it('reads the model of a gzip body and of a body behind a byte order mark', async () => {
      const before = openai.requests.length;
      const gzipped = await post(
        gateway,
        'openai',
        '/v1/chat/completions',
        gzipSync(chat('claude-opus-4')),
        { 'content-encoding': 'gzip' },
      );
      expect(gzipped.status).toBe(400);
      expect(((await gzipped.json()) as { error: { code: string } }).error.code).toBe(
        'model_not_allowed',
      );
      const bom = await post(
        gateway,
        'openai',
        '/v1/chat/completions',
        `\uFEFF${chat('claude-opus-4')}`,
      );
      expect(bom.status).toBe(400);
      await bom.arrayBuffer();
      const unreadable = await post(gateway, 'openai', '/v1/chat/completions', 'zstd-bytes', {
        'content-encoding': 'zstd',
      });
      expect(unreadable.status).toBe(400);
      expect(((await unreadable.json()) as { error: { message: string } }).error.message).toMatch(
        /^AWF_DISALLOWED_MODELS: the request body is compressed with "zstd"/,
      );
      expect(openai.requests.length).toBe(before);

      // A permitted gzip body is forwarded byte for byte.
      const allowed = gzipSync(chat('gpt-4o'));
      const ok = await post(gateway, 'openai', '/v1/chat/completions', allowed, {
        'content-encoding': 'gzip',
      });
      await ok.arrayBuffer();
      expect(openai.requests.length).toBe(before + 1);
      expect(openai.requests.at(-1)!.body.equals(allowed)).toBe(true);
    });
  });

  it('AWF_MAX_EFFECTIVE_TOKENS: once spent, Anthropic and Google requests get 429 in their shapes', async () => {
    const gateway = await start({ AWF_MAX_EFFECTIVE_TOKENS: '1' });
    const first = await post(
      gateway,
      'anthropic',
      '/v1/messages',
      anthropicBody('claude-sonnet-4'),
    );
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    await vi.waitFor(async () => {
      const ready = (await (await fetch(`${gateway.managementUrl}/readyz`)).json()) as {
        policies: Array<{ exhausted: boolean }>;
      };
      expect(ready.policies[0]).toMatchObject({ exhausted: true });
    });
    const message = expect.stringMatching(
      /^AWF_MAX_EFFECTIVE_TOKENS: the budget of 1 effective tokens is spent/,
    );

    const refusedAnthropic = await post(
      gateway,
      'anthropic',
      '/v1/messages',
      anthropicBody('claude-sonnet-4'),
    );
    expect(refusedAnthropic.status).toBe(429);
    expect(await refusedAnthropic.json()).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', code: 'budget_exhausted', message },
    });

    const refusedGoogle = await post(
      gateway,
      'gemini',
      '/v1beta/models/gemini-fake:generateContent',
      geminiBody,
    );
    expect(refusedGoogle.status).toBe(429);
    expect(await refusedGoogle.json()).toEqual({
      error: { code: 429, status: 'RESOURCE_EXHAUSTED', keyless_code: 'budget_exhausted', message },
    });
  });

  it('AWF_MAX_EFFECTIVE_TOKENS: a streamed chat completion without include_usage still spends the budget', async () => {
    const gateway = await start({ AWF_MAX_EFFECTIVE_TOKENS: '1' });
    const streamed = await post(
      gateway,
      'openai',
      '/v1/chat/completions',
      chat('gpt-4o', { stream: true }),
    );
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toContain('"usage"');
    expect(JSON.parse(openai.requests.at(-1)!.body.toString('utf8'))).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    await vi.waitFor(async () => {
      const res = await post(gateway, 'openai', '/v1/chat/completions', chat('gpt-4o'));
      expect(res.status).toBe(429);
      await res.arrayBuffer();
    });
  });
});
