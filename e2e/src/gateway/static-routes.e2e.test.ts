import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicUpstream, startGoogleUpstream, startOpenAiUpstream } from '@keyless/fakes';
import type { FakeUpstream } from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const KEYS = {
  OPENAI_API_KEY: 'sk-static-openai-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-static-0123456789',
  GEMINI_API_KEY: 'gemini-static-0123456789',
  GOOGLE_API_KEY: 'vertex-static-0123456789',
  AWS_BEARER_TOKEN_BEDROCK: 'bedrock-static-0123456789',
};

const CHAT = JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] });

describe('static credentials on every built-in route', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let google: FakeUpstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    [openai, anthropic, google] = await Promise.all([
      startOpenAiUpstream(),
      startAnthropicUpstream(),
      startGoogleUpstream(),
    ]);
    gateway = await startGatewayProcess({
      ...KEYS,
      OPENAI_API_TARGET: openai.url,
      ANTHROPIC_API_TARGET: anthropic.url,
      GEMINI_API_TARGET: google.url,
      VERTEX_API_TARGET: google.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: openai.url,
      COPILOT_PROVIDER_BASE_URL: `${openai.url}/openai`,
      COPILOT_PROVIDER_TYPE: 'azure',
      COPILOT_PROVIDER_API_KEY: 'azure-byok-key-0123456789',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close(), google?.close()]);
  });

  const post = (route: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url(route)}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('openai: Authorization: Bearer, client path forwarded unchanged', async () => {
    const res = await post('openai', '/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
    const seen = openai.requests.at(-1)!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${KEYS.OPENAI_API_KEY}`);
  });

  it('anthropic: x-api-key, and anthropic-version added only when absent', async () => {
    const body = JSON.stringify({
      model: 'claude-fake',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect((await post('anthropic', '/v1/messages', body)).status).toBe(200);
    let seen = anthropic.requests.at(-1)!;
    expect(seen.headers['x-api-key']).toBe(KEYS.ANTHROPIC_API_KEY);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers.authorization).toBeUndefined();

    await post('anthropic', '/v1/messages', body, {
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'b1',
    });
    seen = anthropic.requests.at(-1)!;
    expect(seen.headers['anthropic-version']).toBe('2024-01-01');
    expect(seen.headers['anthropic-beta']).toBe('b1');
  });

  it('copilot with COPILOT_PROVIDER_TYPE=azure: api-key on the BYOK base path', async () => {
    const res = await post(
      'copilot',
      '/deployments/gpt/chat/completions?api-version=2024-10-21',
      CHAT,
    );
    expect(res.status).toBe(200);
    const seen = openai.requests.at(-1)!;
    expect(seen.url).toBe('/openai/deployments/gpt/chat/completions?api-version=2024-10-21');
    expect(seen.headers['api-key']).toBe('azure-byok-key-0123456789');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('gemini: x-goog-api-key, and the key query parameter is dropped', async () => {
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    const res = await post(
      'gemini',
      '/v1beta/models/gemini-fake:generateContent?key=client-key',
      body,
    );
    expect(res.status).toBe(200);
    const seen = google.requests.at(-1)!;
    expect(seen.url).toBe('/v1beta/models/gemini-fake:generateContent');
    expect(seen.headers['x-goog-api-key']).toBe(KEYS.GEMINI_API_KEY);
  });

  it('vertex: x-goog-api-key, paths with @ and : unchanged', async () => {
    const path =
      '/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@20250101:rawPredict';
    const body = JSON.stringify({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const res = await post('vertex', path, body);
    expect(res.status).toBe(200);
    const seen = google.requests.at(-1)!;
    expect(seen.url).toBe(path);
    expect(seen.headers['x-goog-api-key']).toBe(KEYS.GOOGLE_API_KEY);
  });

  it('bedrock: the static AWS_BEARER_TOKEN_BEDROCK as Authorization: Bearer', async () => {
    await post('bedrock', '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse', '{}');
    const seen = openai.requests.at(-1)!;
    expect(seen.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(seen.headers.authorization).toBe(`Bearer ${KEYS.AWS_BEARER_TOKEN_BEDROCK}`);
  });

  it('strips every client credential, spoofable and hop-by-hop header, and passes the rest', async () => {
    // node:http, because fetch refuses to send a Connection header.
    const res = await nodeRequest(
      `${gateway.url('openai')}/v1/chat/completions?api_key=q1&key=q2&keep=1`,
      CHAT,
      {
        'content-type': 'application/json',
        authorization: 'Bearer client-key',
        'proxy-authorization': 'Basic eA==',
        'x-api-key': 'client-key',
        'api-key': 'client-key',
        'x-goog-api-key': 'client-key',
        'x-amz-security-token': 'client-token',
        'x-amz-date': '20240101T000000Z',
        'amz-sdk-request': 'attempt=1',
        cookie: 'session=1',
        forwarded: 'for=1.2.3.4',
        via: '1.1 evil',
        'x-forwarded-for': '1.2.3.4',
        'x-forwarded-host': 'evil.example',
        connection: 'x-hop',
        'x-hop': 'named-in-connection',
        'x-stainless-lang': 'js',
        'x-initiator': 'agent',
        originator: 'codex_cli',
        'x-request-id': 'client-req-1',
      },
    );
    expect(res.status).toBe(200);
    const seen = openai.requests.at(-1)!;
    expect(seen.url).toBe('/v1/chat/completions?keep=1');
    expect(seen.headers.authorization).toBe(`Bearer ${KEYS.OPENAI_API_KEY}`);
    for (const name of [
      'proxy-authorization',
      'x-api-key',
      'api-key',
      'x-goog-api-key',
      'x-amz-security-token',
      'x-amz-date',
      'amz-sdk-request',
      'cookie',
      'forwarded',
      'via',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-hop',
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers['x-stainless-lang']).toBe('js');
    expect(seen.headers['x-initiator']).toBe('agent');
    expect(seen.headers.originator).toBe('codex_cli');
    expect(seen.headers['x-request-id']).toBe('client-req-1');
    // Upstream response headers pass back unchanged.
    expect(res.headers['x-request-id']).toMatch(/^req_/);
  });

  it('answers /health on every route port', async () => {
    for (const route of ['openai', 'anthropic', 'copilot', 'gemini', 'vertex', 'bedrock']) {
      const res = await fetch(`${gateway.url(route)}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'healthy', service: 'keyless', route });
    }
  });

  it('reports every route ready on /readyz and serves /healthz and /metrics', async () => {
    const ready = await fetch(`${gateway.managementUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { routes: Array<{ route: string; state: string }> };
    expect(body.routes.map((r: { route: string }) => r.route).sort()).toEqual([
      'anthropic',
      'bedrock',
      'copilot',
      'gemini',
      'openai',
      'vertex',
    ]);
    expect(body.routes.every((r: { state: string }) => r.state === 'ready')).toBe(true);
    expect((await fetch(`${gateway.managementUrl}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(/keyless_requests_total\{route="openai",status="200"\} \d+/);
  });

  it('logs one startup table of the routes without any secret', () => {
    const table = gateway.logs().find((line) => line.event === 'gateway.routes') as {
      routes: Array<Record<string, unknown>>;
    };
    expect(table.routes).toHaveLength(6);
    expect(table.routes.find((r) => r.route === 'openai')).toMatchObject({
      auth: 'static (OPENAI_API_KEY)',
    });
  });
});

function nodeRequest(url: string, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
