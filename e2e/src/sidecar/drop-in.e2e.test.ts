import { bearerOf, startOpenAiUpstream } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../harness/gateway-process.ts';

/** The api-proxy's request behaviours, through the real process against a fake upstream. */
describe('drop-in: the api-proxy request behaviours', () => {
  let upstream: Awaited<ReturnType<typeof startOpenAiUpstream>>;
  beforeAll(async () => {
    upstream = await startOpenAiUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  const chat = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('sends Copilot-Integration-Id to the Copilot API, replacing a client value', async () => {
    const gateway = await startGatewayProcess({
      COPILOT_GITHUB_TOKEN: 'ghu_dropin0123456789',
      COPILOT_API_TARGET: upstream.url,
    });
    try {
      const before = upstream.requests.length;
      const answer = await chat(gateway.url('copilot'), { 'copilot-integration-id': 'spoofed' });
      expect(answer.status).toBe(200);
      const seen = upstream.requests[before]!;
      expect(seen.headers['copilot-integration-id']).toBe('agentic-workflows');
      expect(bearerOf(seen)).toBe('ghu_dropin0123456789');
    } finally {
      await gateway.stop();
    }
  });

  it('sends the GitHub token as `token` to a custom Copilot target on GHES', async () => {
    const gateway = await startGatewayProcess({
      COPILOT_GITHUB_TOKEN: 'ghu_ghes0123456789',
      COPILOT_API_TARGET: upstream.url,
      GITHUB_SERVER_URL: 'https://github.corp.example',
      COPILOT_INTEGRATION_ID: 'corp-agents',
    });
    try {
      const before = upstream.requests.length;
      expect((await chat(gateway.url('copilot'))).status).toBe(200);
      const seen = upstream.requests[before]!;
      expect(seen.headers.authorization).toBe('token ghu_ghes0123456789');
      expect(seen.headers['copilot-integration-id']).toBe('corp-agents');
    } finally {
      await gateway.stop();
    }
  });

  it('adds AWF_BYOK_EXTRA_HEADERS on the BYOK route and no GitHub header', async () => {
    const gateway = await startGatewayProcess({
      COPILOT_PROVIDER_BASE_URL: `${upstream.url}/v1`,
      COPILOT_PROVIDER_API_KEY: 'byok-dropin-0123456789',
      AWF_BYOK_EXTRA_HEADERS: JSON.stringify({ 'X-Session-Id': 'run-42' }),
    });
    try {
      const before = upstream.requests.length;
      expect((await chat(gateway.url('copilot'))).status).toBe(200);
      const seen = upstream.requests[before]!;
      expect(seen.url).toBe('/v1/chat/completions');
      expect(seen.headers['x-session-id']).toBe('run-42');
      expect(seen.headers['copilot-integration-id']).toBeUndefined();
      expect(bearerOf(seen)).toBe('byok-dropin-0123456789');
    } finally {
      await gateway.stop();
    }
  });

  it('puts the OpenAI key raw in AWF_OPENAI_AUTH_HEADER (internal gateways)', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-custom-header-0123456789',
      OPENAI_API_TARGET: `${upstream.url}/v1`,
      AWF_OPENAI_AUTH_HEADER: 'X-Gateway-Key',
    });
    try {
      const before = upstream.requests.length;
      await chat(gateway.url('openai'));
      const seen = upstream.requests[before]!;
      expect(seen.headers['x-gateway-key']).toBe('sk-custom-header-0123456789');
      expect(seen.headers.authorization).toBeUndefined();
    } finally {
      await gateway.stop();
    }
  });

  it('serves Azure OpenAI BYOK on the openai route too, key in api-key (COPILOT_PROVIDER_TYPE=azure)', async () => {
    const gateway = await startGatewayProcess({
      COPILOT_PROVIDER_TYPE: 'azure',
      COPILOT_PROVIDER_BASE_URL: `${upstream.url}/openai/v1`,
      COPILOT_PROVIDER_API_KEY: 'az-dropin-0123456789',
    });
    try {
      for (const name of ['openai', 'copilot']) {
        const before = upstream.requests.length;
        expect((await chat(gateway.url(name))).status, name).toBe(200);
        const seen = upstream.requests[before]!;
        expect(seen.url, name).toBe('/openai/v1/chat/completions');
        expect(seen.headers['api-key'], name).toBe('az-dropin-0123456789');
        expect(seen.headers.authorization, name).toBeUndefined();
      }
    } finally {
      await gateway.stop();
    }
  });

  it('sends a fine-grained PAT as Bearer even where a GitHub token goes as `token` (GHES)', async () => {
    const gateway = await startGatewayProcess({
      COPILOT_GITHUB_TOKEN: 'github_pat_11DROPIN0123456789',
      COPILOT_API_TARGET: upstream.url,
      GITHUB_SERVER_URL: 'https://github.corp.example',
    });
    try {
      const before = upstream.requests.length;
      expect((await chat(gateway.url('copilot'))).status).toBe(200);
      expect(upstream.requests[before]!.headers.authorization).toBe(
        'Bearer github_pat_11DROPIN0123456789',
      );
    } finally {
      await gateway.stop();
    }
  });

  it('logs one startup warning naming set harmless and unknown AWF_* variables, never their values', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-warn-0123456789',
      AWF_ANTHROPIC_AUTO_CACHE: '1',
      AWF_SOMETHING_NEW: 'secret-looking-value-0123',
    });
    try {
      const warnings = gateway
        .logs()
        .filter((line) => line.event === 'config.warning' && String(line.msg).includes('AWF_'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/AWF_ANTHROPIC_AUTO_CACHE \(Prompt-cache/);
      expect(warnings[0]!.msg).toMatch(/unknown AWF_\* variables.*AWF_SOMETHING_NEW/);
      expect(gateway.output()).not.toContain('secret-looking-value-0123');
    } finally {
      await gateway.stop();
    }
  });

  it('answers route_not_configured on an unconfigured route, naming what configures it', async () => {
    const gateway = await startGatewayProcess({ ANTHROPIC_API_KEY: 'sk-ant-dropin-0123456789' });
    try {
      const health = await fetch(`${gateway.url('openai')}/health`);
      expect(health.status).toBe(200);
      const refused = await chat(gateway.url('openai'));
      expect(refused.status).toBe(503);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('route_not_configured');
      expect(body.error.message).toMatch(/OPENAI_API_KEY/);
    } finally {
      await gateway.stop();
    }
  });
});
