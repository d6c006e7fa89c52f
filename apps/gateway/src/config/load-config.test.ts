import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from './load-config.ts';

const load = (env: Record<string, string>) => loadConfig(env, []);
const route = (env: Record<string, string>, name: string) =>
  load(env).routes.find((r) => r.name === name);
const configured = (env: Record<string, string>) =>
  load(env)
    .routes.filter((r) => r.auth.kind !== 'unconfigured')
    .map((r) => r.name);

describe('loadConfig: static routes', () => {
  it('has every built-in route on the api-proxy ports, configured or not', () => {
    const config = load({ OPENAI_API_KEY: 'sk-openai-1', ANTHROPIC_API_KEY: 'sk-ant-1' });
    expect(config.routes.map((r) => [r.name, r.port, r.auth.kind])).toEqual([
      ['openai', 10000, 'static'],
      ['anthropic', 10001, 'static'],
      ['copilot', 10002, 'unconfigured'],
      ['gemini', 10003, 'unconfigured'],
      ['vertex', 10004, 'unconfigured'],
      ['bedrock', 10005, 'unconfigured'],
    ]);
    expect(config.routes[2]!.auth).toEqual({
      kind: 'unconfigured',
      configuredBy:
        'COPILOT_GITHUB_TOKEN, or COPILOT_PROVIDER_BASE_URL with COPILOT_PROVIDER_API_KEY or COPILOT_PROVIDER_BEARER_TOKEN',
    });
    expect(config.host).toBe('127.0.0.1');
    expect(config.managementPort).toBe(10009);
    expect(config.bodyLimit).toBe(10_485_760);
    expect(config.upstreamTimeoutMs).toBe(600_000);
  });

  it('takes port 0 on any listener as "a free port": several zeros do not collide', () => {
    const zero = {
      OPENAI_API_KEY: 'sk-openai-1',
      KEYLESS_OPENAI_PORT: '0',
      KEYLESS_ANTHROPIC_PORT: '0',
      KEYLESS_MANAGEMENT_PORT: '0',
    };
    const config = load(zero);
    expect(config.routes.slice(0, 3).map((r) => r.port)).toEqual([0, 0, 10002]);
    expect(config.managementPort).toBe(0);
  });

  it.each([
    [
      { OPENAI_API_KEY: 'sk-1' },
      'openai',
      'authorization',
      'Bearer sk-1',
      'https://api.openai.com',
      '/v1',
    ],
    [
      { ANTHROPIC_API_KEY: 'sk-ant' },
      'anthropic',
      'x-api-key',
      'sk-ant',
      'https://api.anthropic.com',
      '',
    ],
    [
      { GEMINI_API_KEY: 'g-1' },
      'gemini',
      'x-goog-api-key',
      'g-1',
      'https://generativelanguage.googleapis.com',
      '',
    ],
    [
      { GOOGLE_API_KEY: 'g-2' },
      'vertex',
      'x-goog-api-key',
      'g-2',
      'https://aiplatform.googleapis.com',
      '',
    ],
    [
      { AWS_BEARER_TOKEN_BEDROCK: 'b-1', AWS_REGION: 'eu-west-1' },
      'bedrock',
      'authorization',
      'Bearer b-1',
      'https://bedrock-runtime.eu-west-1.amazonaws.com',
      '',
    ],
    [
      { COPILOT_GITHUB_TOKEN: 'ghu_real1' },
      'copilot',
      'authorization',
      'Bearer ghu_real1',
      'https://api.githubcopilot.com',
      '',
    ],
  ])('%o -> route %s sends %s', (env, name, header, value, origin, basePath) => {
    const r = route(env, name)!;
    expect(r.auth).toMatchObject({ kind: 'static', header, value });
    expect(r.upstream).toEqual({ origin, basePath });
  });

  it('checks the region only when it becomes the default Bedrock host', () => {
    const env = {
      AWS_BEARER_TOKEN_BEDROCK: 'b-1',
      AWS_REGION: 'not a region',
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: 'http://127.0.0.1:9',
    };
    expect(route(env, 'bedrock')!.upstream.origin).toBe('http://127.0.0.1:9');
    expect(() => load({ AWS_BEARER_TOKEN_BEDROCK: 'b-1', AWF_AUTH_AWS_REGION: 'x/y' })).toThrow(
      /AWF_AUTH_AWS_REGION \(engine\.auth\.aws-region\)/,
    );
  });

  it('applies targets and base paths', () => {
    const r = route(
      {
        OPENAI_API_KEY: 'k-1',
        OPENAI_API_TARGET: 'http://127.0.0.1:9000',
        OPENAI_API_BASE_PATH: '/v1',
      },
      'openai',
    )!;
    expect(r.upstream).toEqual({ origin: 'http://127.0.0.1:9000', basePath: '/v1' });
  });

  it.each([
    [undefined, 'authorization', 'Bearer byok-1', 'openai'],
    ['openai', 'authorization', 'Bearer byok-1', 'openai'],
    ['azure', 'api-key', 'byok-1', 'azure'],
    ['anthropic', 'x-api-key', 'byok-1', 'anthropic'],
    ['gcp', 'authorization', 'Bearer byok-1', 'google'],
    ['aws', 'authorization', 'Bearer byok-1', 'bedrock'],
  ])('COPILOT_PROVIDER_TYPE=%s puts the BYOK key in %s', (type, header, value, flavor) => {
    const env: Record<string, string> = {
      COPILOT_PROVIDER_BASE_URL: 'https://byok.example',
      COPILOT_PROVIDER_API_KEY: 'byok-1',
    };
    if (type) env.COPILOT_PROVIDER_TYPE = type;
    const r = route(env, 'copilot')!;
    expect(r.auth).toMatchObject({ header, value });
    expect(r.flavor.name).toBe(flavor);
    expect(r.upstream.origin).toBe('https://byok.example');
  });

  it('always sends a BYOK bearer token as Authorization: Bearer', () => {
    const r = route(
      {
        COPILOT_PROVIDER_BASE_URL: 'https://byok.example',
        COPILOT_PROVIDER_TYPE: 'azure',
        COPILOT_PROVIDER_BEARER_TOKEN: 'tok-1',
      },
      'copilot',
    )!;
    expect(r.auth).toMatchObject({ header: 'authorization', value: 'Bearer tok-1' });
  });

  it('never sends the GitHub token to a BYOK provider', () => {
    const config = load({
      COPILOT_PROVIDER_BASE_URL: 'https://byok.example',
      COPILOT_GITHUB_TOKEN: 'ghu_real1',
    });
    expect(config.routes.find((r) => r.name === 'copilot')!.auth.kind).toBe('unconfigured');
    expect(config.warnings).toEqual([expect.stringMatching(/^no route is configured/)]);
  });

  it('treats placeholders as absent and strips Bearer prefixes', () => {
    const env = {
      OPENAI_API_KEY: 'Bearer sk-9',
      COPILOT_PROVIDER_API_KEY: 'dummy-byok-key-for-offline-mode',
      COPILOT_PROVIDER_BASE_URL: 'https://b.example',
    };
    expect(configured(env)).toEqual(['openai']);
    expect(route(env, 'openai')!.auth).toMatchObject({ value: 'Bearer sk-9' });
  });
});

describe('loadConfig: egress proxy', () => {
  it('parses the proxy variables once, from the given environment only', () => {
    vi.stubEnv('HTTP_PROXY', 'http://from-process-env:1');
    try {
      expect(load({ OPENAI_API_KEY: 'k-1' }).egress).toEqual({});
      const config = load({
        OPENAI_API_KEY: 'k-1',
        HTTPS_PROXY: 'http://proxy.internal:3128',
        no_proxy: 'localhost',
      });
      expect(config.egress).toEqual({
        httpsProxy: 'http://proxy.internal:3128/',
        noProxy: 'localhost',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a bad proxy URL without echoing its password', () => {
    const env = { OPENAI_API_KEY: 'k-1', HTTPS_PROXY: 'ftp://ci:hunter22@proxy:21' };
    let error: unknown;
    try {
      load(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^HTTPS_PROXY: must be an http:\/\/ or https:\/\//);
    expect((error as Error).message).not.toContain('hunter22');
  });
});

describe('loadConfig: request policies', () => {
  it('switches on the policies whose api-proxy settings are set, in the order they run', () => {
    expect(load({ OPENAI_API_KEY: 'k-1' }).policies).toEqual([]);
    const config = load({
      OPENAI_API_KEY: 'k-1',
      AWF_RATE_LIMIT_RPM: '5',
      AWF_DISALLOWED_MODELS: '["*opus*"]',
    });
    expect(config.policies.map((policy) => policy.plugin.name)).toEqual([
      'model-policy',
      'rate-limit',
    ]);
    expect(Object.isFrozen(config.policies)).toBe(true);
  });
});

describe('loadConfig: errors name the variable', () => {
  it.each([
    [{ OPENAI_API_KEY: 'k-1', KEYLESS_OPENAI_PORT: 'abc' }, /KEYLESS_OPENAI_PORT/],
    [{ OPENAI_API_KEY: 'k-1', KEYLESS_MANAGEMENT_PORT: '70000' }, /KEYLESS_MANAGEMENT_PORT/],
    [{ OPENAI_API_KEY: 'k-1', KEYLESS_BODY_LIMIT: '-1' }, /KEYLESS_BODY_LIMIT/],
    [{ OPENAI_API_KEY: 'k-1', KEYLESS_LOG_LEVEL: 'loud' }, /KEYLESS_LOG_LEVEL/],
    [{ OPENAI_API_KEY: 'k-1', KEYLESS_LOG_FORMAT: 'colour' }, /^KEYLESS_LOG_FORMAT: /],
    [{ OPENAI_API_KEY: 'k-1', OPENAI_API_TARGET: 'ftp://x' }, /OPENAI_API_TARGET/],
    [{ OPENAI_API_KEY: 'k-1', https_proxy: 'socks5://proxy:1080' }, /^https_proxy: /],
    [
      {
        COPILOT_PROVIDER_BASE_URL: 'https://b.example',
        COPILOT_PROVIDER_API_KEY: 'k-1',
        COPILOT_PROVIDER_TYPE: 'mistral',
      },
      /COPILOT_PROVIDER_TYPE/,
    ],
    [{ AWS_BEARER_TOKEN_BEDROCK: 'b-1', AWS_REGION: 'us-east-1.evil.com/' }, /AWS_REGION/],
    [
      { OPENAI_API_KEY: 'k-1', ANTHROPIC_API_KEY: 'k-2', KEYLESS_ANTHROPIC_PORT: '10000' },
      /port 10000/,
    ],
    [
      { AWF_MAX_AI_CREDITS: '1' },
      /AWF_MAX_AI_CREDITS: Not among the request policies Keyless enforces/,
    ],
    [
      { OPENAI_API_KEY: 'k-1', AWF_RATE_LIMIT_RPM: 'lots' },
      /^AWF_RATE_LIMIT_RPM: must be a whole number/,
    ],
    [
      { OPENAI_API_KEY: 'k-1', AWF_ALLOWED_MODELS: 'claude-*' },
      /^AWF_ALLOWED_MODELS: is not valid JSON/,
    ],
    [{ OPENAI_API_KEY: 'k-1', AWF_OPENAI_AUTH_HEADER: 'x y' }, /AWF_OPENAI_AUTH_HEADER/],
    [{ GOOGLE_API_KEY: 'g-1', GOOGLE_CLOUD_LOCATION: 'x.evil.com/' }, /GOOGLE_CLOUD_LOCATION/],
    [
      { OPENAI_API_KEY: 'k-1', AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS: 'soon' },
      /AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS/,
    ],
  ])('%o', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
