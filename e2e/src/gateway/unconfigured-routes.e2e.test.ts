import { startAnthropicUpstream, type FakeUpstream } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

let upstream: FakeUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  upstream = await startAnthropicUpstream();
  // The api-proxy's drop-in case: only an Anthropic key, yet the firewall probes port 10000.
  gateway = await startGatewayProcess({
    ANTHROPIC_API_KEY: 'sk-ant-only-0123456789',
    ANTHROPIC_API_TARGET: upstream.url,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

describe('every built-in route listens, configured or not', () => {
  it.each(['openai', 'anthropic', 'copilot', 'gemini', 'vertex', 'bedrock'])(
    'GET /health on %s answers 200 with every route state',
    async (route) => {
      const response = await fetch(`${gateway.url(route)}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        status: 'healthy',
        service: 'keyless',
        route,
        providers: { anthropic: true, openai: false },
      });
      expect(body.routes).toContainEqual(
        expect.objectContaining({ route: 'anthropic', configured: true, credential: 'ready' }),
      );
    },
  );

  it('an unconfigured route answers route_not_configured in its shape, naming what configures it', async () => {
    const response = await fetch(`${gateway.url('openai')}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('route_not_configured');
    expect(body.error.message).toContain('OPENAI_API_KEY');
    expect(upstream.requests).toHaveLength(0);
  });

  it('/readyz looks only at configured routes', async () => {
    const response = await fetch(`${gateway.managementUrl}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { routes: Array<{ route: string }> };
    expect(body.routes.map(({ route }) => route)).toEqual(['anthropic']);
  });

  it('the configured route proxies', async () => {
    const response = await fetch(`${gateway.url('anthropic')}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'placeholder' },
      body: JSON.stringify({ model: 'claude-fake', max_tokens: 5, messages: [] }),
    });
    expect(response.status).toBe(200);
  });
});
