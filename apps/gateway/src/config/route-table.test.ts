import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

const route = (env: Record<string, string>, name: string) =>
  loadConfig(env, []).routes.find((r) => r.name === name)!;

describe('built-in routes: the api-proxy behaviours', () => {
  it.each([
    [{}, 'https://api.openai.com', '/v1'],
    [{ OPENAI_API_TARGET: 'api.openai.com' }, 'https://api.openai.com', '/v1'],
    [{ OPENAI_API_TARGET: 'https://api.openai.com/' }, 'https://api.openai.com', '/v1'],
    [{ OPENAI_API_BASE_PATH: '/custom' }, 'https://api.openai.com', '/custom'],
    [{ OPENAI_API_TARGET: 'my-gateway.example' }, 'https://my-gateway.example', ''],
    [{ OPENAI_API_TARGET: 'http://api.openai.com' }, 'http://api.openai.com', ''],
  ])('openai %o -> %s%s', (env, origin, basePath) => {
    expect(route({ OPENAI_API_KEY: 'k-1', ...env }, 'openai').upstream).toEqual({
      origin,
      basePath,
    });
  });

  it('applies COPILOT_API_BASE_PATH and GEMINI_API_BASE_PATH like the other base paths', () => {
    expect(
      route({ COPILOT_GITHUB_TOKEN: 'ghu_1', COPILOT_API_BASE_PATH: '/router/' }, 'copilot')
        .upstream,
    ).toEqual({ origin: 'https://api.githubcopilot.com', basePath: '/router' });
    expect(
      route(
        { GEMINI_API_KEY: 'g-1', GEMINI_API_TARGET: 'g.example', GEMINI_API_BASE_PATH: 'p' },
        'gemini',
      ).upstream,
    ).toEqual({ origin: 'https://g.example', basePath: '/p' });
  });

  it('sends a custom auth header with the raw key (internal gateways)', () => {
    expect(
      route({ OPENAI_API_KEY: 'k-1', AWF_OPENAI_AUTH_HEADER: 'X-Gateway-Key' }, 'openai').auth,
    ).toMatchObject({ kind: 'static', header: 'x-gateway-key', value: 'k-1' });
    expect(
      route({ ANTHROPIC_API_KEY: 'a-1', AWF_ANTHROPIC_AUTH_HEADER: 'api-token' }, 'anthropic').auth,
    ).toMatchObject({ header: 'api-token', value: 'a-1' });
  });

  it.each([
    [{}, 'https://api.githubcopilot.com', 'Bearer ghu_1'],
    [{ GITHUB_SERVER_URL: 'https://github.com' }, 'https://api.githubcopilot.com', 'Bearer ghu_1'],
    [
      { GITHUB_SERVER_URL: 'https://octo.ghe.com' },
      'https://copilot-api.octo.ghe.com',
      'token ghu_1',
    ],
    [
      { GITHUB_SERVER_URL: 'https://github.corp.example' },
      'https://api.enterprise.githubcopilot.com',
      'token ghu_1',
    ],
    [
      { GITHUB_SERVER_URL: 'https://github.corp.example', COPILOT_API_TARGET: 'cp.corp.example' },
      'https://cp.corp.example',
      'token ghu_1',
    ],
    [
      {
        GITHUB_SERVER_URL: 'https://github.corp.example',
        COPILOT_API_TARGET: 'cp.corp.example',
        AWF_PLATFORM_TYPE: 'ghec',
      },
      'https://cp.corp.example',
      'Bearer ghu_1',
    ],
    [
      { COPILOT_API_TARGET: 'api.business.githubcopilot.com' },
      'https://api.business.githubcopilot.com',
      'token ghu_1',
    ],
  ])('copilot %o -> %s with %s', (env, origin, value) => {
    const r = route({ COPILOT_GITHUB_TOKEN: 'ghu_1', ...env }, 'copilot');
    expect(r.upstream.origin).toBe(origin);
    expect(r.auth).toMatchObject({ header: 'authorization', value });
  });

  it.each([
    [{}, 'https://api.githubcopilot.com'],
    [{ GITHUB_SERVER_URL: 'https://octo.ghe.com' }, 'https://copilot-api.octo.ghe.com'],
    [
      { GITHUB_SERVER_URL: 'https://github.corp.example' },
      'https://api.enterprise.githubcopilot.com',
    ],
    [
      { COPILOT_API_TARGET: 'api.business.githubcopilot.com' },
      'https://api.business.githubcopilot.com',
    ],
    [
      { AWF_PLATFORM_TYPE: 'ghes', COPILOT_API_TARGET: 'cp.corp.example' },
      'https://cp.corp.example',
    ],
  ])(
    'copilot: a fine-grained PAT is always Bearer, as in the api-proxy (%o -> %s)',
    (env, origin) => {
      const r = route({ COPILOT_GITHUB_TOKEN: 'token github_pat_11AB_cd', ...env }, 'copilot');
      expect(r.upstream.origin).toBe(origin);
      expect(r.auth).toMatchObject({ header: 'authorization', value: 'Bearer github_pat_11AB_cd' });
    },
  );

  it('configures the openai route from COPILOT_PROVIDER_TYPE=azure BYOK, key in api-key', () => {
    const azure = {
      COPILOT_PROVIDER_TYPE: 'azure',
      COPILOT_PROVIDER_BASE_URL: 'https://res.openai.azure.com/openai/v1',
      COPILOT_PROVIDER_API_KEY: 'az-1',
    };
    const r = route(azure, 'openai');
    expect(r.upstream).toEqual({ origin: 'https://res.openai.azure.com', basePath: '/openai/v1' });
    expect(r.auth).toMatchObject({
      kind: 'static',
      variable: 'COPILOT_PROVIDER_API_KEY',
      header: 'api-key',
      value: 'az-1',
    });
    // The copilot route serves the same BYOK provider.
    expect(route(azure, 'copilot').auth).toMatchObject({ header: 'api-key', value: 'az-1' });
    // OPENAI_API_BASE_PATH replaces the URL's path; OPENAI_API_TARGET and OPENAI_API_KEY win.
    expect(route({ ...azure, OPENAI_API_BASE_PATH: '/deploy' }, 'openai').upstream).toEqual({
      origin: 'https://res.openai.azure.com',
      basePath: '/deploy',
    });
    // Unlike the api-proxy, an OpenAI key keeps OpenAI's target and scheme.
    const own = route({ ...azure, OPENAI_API_KEY: 'k-1' }, 'openai');
    expect(own.upstream).toEqual({ origin: 'https://api.openai.com', basePath: '/v1' });
    expect(own.auth).toMatchObject({
      variable: 'OPENAI_API_KEY',
      header: 'authorization',
      value: 'Bearer k-1',
    });
    expect(route({ ...azure, OPENAI_API_TARGET: 'oai.example' }, 'openai').upstream).toEqual({
      origin: 'https://oai.example',
      basePath: '',
    });
    expect(route({ ...azure, AWF_OPENAI_AUTH_HEADER: 'X-Key' }, 'openai').auth).toMatchObject({
      header: 'x-key',
      value: 'az-1',
    });
  });

  it('leaves the openai route alone for other BYOK types, and names azure among what configures it', () => {
    const byok = {
      COPILOT_PROVIDER_TYPE: 'openai',
      COPILOT_PROVIDER_BASE_URL: 'https://router.example/v1',
      COPILOT_PROVIDER_API_KEY: 'or-1',
    };
    const r = route(byok, 'openai');
    expect(r.auth).toMatchObject({ kind: 'unconfigured' });
    expect(r.auth.kind === 'unconfigured' && r.auth.configuredBy).toMatch(
      /COPILOT_PROVIDER_TYPE=azure with COPILOT_PROVIDER_API_KEY/,
    );
    expect(r.upstream).toEqual({ origin: 'https://api.openai.com', basePath: '/v1' });
  });

  it('sends Copilot-Integration-Id to the GitHub Copilot API only', () => {
    expect(route({ COPILOT_GITHUB_TOKEN: 'ghu_1' }, 'copilot').extraHeaders).toEqual({
      'copilot-integration-id': 'agentic-workflows',
    });
    expect(
      route({ COPILOT_GITHUB_TOKEN: 'ghu_1', COPILOT_INTEGRATION_ID: 'my-app' }, 'copilot')
        .extraHeaders,
    ).toEqual({ 'copilot-integration-id': 'my-app' });
    const byok = {
      COPILOT_PROVIDER_BASE_URL: 'https://openrouter.example/api/v1',
      COPILOT_PROVIDER_API_KEY: 'or-1',
    };
    expect(route(byok, 'copilot').extraHeaders).toEqual({});
    expect(route({}, 'openai').extraHeaders).toEqual({});
  });

  it('adds AWF_BYOK_EXTRA_HEADERS on the BYOK route, names lowercased', () => {
    const r = route(
      {
        COPILOT_PROVIDER_BASE_URL: 'https://openrouter.example/api/v1',
        COPILOT_PROVIDER_API_KEY: 'or-1',
        AWF_BYOK_EXTRA_HEADERS: '{"X-Session-Id":"run-1","HTTP-Referer":"https://example.com"}',
      },
      'copilot',
    );
    expect(r.extraHeaders).toEqual({
      'x-session-id': 'run-1',
      'http-referer': 'https://example.com',
    });
  });

  it.each([
    ['not json', /not valid JSON/],
    ['["a"]', /expected a JSON object/],
    ['{"Authorization":"Bearer x"}', /Authorization cannot be set/],
    ['{"x-amz-date":"1"}', /cannot be set/],
    ['{"a b":"1"}', /not a valid header name/],
    ['{"x-n":1}', /must be a string/],
    ['{"x-n":"a\\nb"}', /cannot carry/],
  ])('refuses AWF_BYOK_EXTRA_HEADERS=%s', (value, message) => {
    expect(() =>
      loadConfig(
        {
          COPILOT_PROVIDER_BASE_URL: 'https://b.example',
          COPILOT_PROVIDER_API_KEY: 'k-1',
          AWF_BYOK_EXTRA_HEADERS: value,
        },
        [],
      ),
    ).toThrow(message);
  });

  it('derives the Vertex host from the location when no target is set', () => {
    expect(route({ GOOGLE_CLOUD_LOCATION: 'us-east5' }, 'vertex').upstream.origin).toBe(
      'https://us-east5-aiplatform.googleapis.com',
    );
    expect(route({ GOOGLE_CLOUD_LOCATION: 'global' }, 'vertex').upstream.origin).toBe(
      'https://aiplatform.googleapis.com',
    );
    expect(
      route({ GOOGLE_CLOUD_LOCATION: 'us-east5', VERTEX_API_TARGET: 'v.example' }, 'vertex')
        .upstream.origin,
    ).toBe('https://v.example');
  });

  it('takes AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS as the shutdown grace unless KEYLESS_SHUTDOWN_GRACE_MS is set', () => {
    expect(loadConfig({ AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS: '8000' }, []).shutdownGraceMs).toBe(
      8000,
    );
    expect(
      loadConfig(
        { AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS: '8000', KEYLESS_SHUTDOWN_GRACE_MS: '1500' },
        [],
      ).shutdownGraceMs,
    ).toBe(1500);
    expect(loadConfig({}, []).shutdownGraceMs).toBe(10_000);
  });
});
