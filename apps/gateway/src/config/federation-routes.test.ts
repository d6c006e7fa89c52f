import { ConfigError } from '@keyless/auth-core';
import { createTestPlugin } from '@keyless/auth-core/testing';
import { describe, expect, it } from 'vitest';
import { resolveFederation } from './federation.ts';
import { loadConfig } from './load-config.ts';

const ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789',
  AWF_AUTH_TEST_TOKEN_URL: 'https://sts.example/token',
  AWF_AUTH_TYPE: 'github-oidc',
  AWF_AUTH_PROVIDER: 'test',
  COPILOT_PROVIDER_BASE_URL: 'https://r.example/openai',
  OPENAI_API_TARGET: 'https://r.example',
};

describe('resolveFederation: the route model', () => {
  it('serves copilot only for a plugin that opts in with copilotProviderTypes', () => {
    expect(resolveFederation(ENV, [createTestPlugin()])!.routes).toEqual(['openai']);
    expect(
      resolveFederation(ENV, [createTestPlugin({ copilotProviderTypes: ['openai'] })])!.routes,
    ).toEqual(['copilot', 'openai']);
  });

  it("picks the plugin's first format the route's upstream accepts, per route", () => {
    const plugin = createTestPlugin({
      copilotProviderTypes: ['azure'],
      wireFormats: ['api-key', 'bearer'],
    });
    const federation = resolveFederation({ ...ENV, COPILOT_PROVIDER_TYPE: 'azure' }, [plugin])!;
    expect(federation.wireFormats).toEqual({ copilot: 'api-key', openai: 'bearer' });
    const config = loadConfig({ ...ENV, COPILOT_PROVIDER_TYPE: 'azure' }, [plugin]);
    expect(config.routes.find((r) => r.name === 'copilot')!.auth).toMatchObject({
      kind: 'federated',
      wireFormat: 'api-key',
    });
  });

  it('refuses to start when the plugin cannot produce a format the route accepts', () => {
    const plugin = createTestPlugin({ copilotProviderTypes: ['azure'], wireFormats: ['api-key'] });
    expect(() => resolveFederation(ENV, [plugin])).toThrow(
      'provider test cannot serve route copilot: its openai upstream accepts bearer, the plugin produces api-key (COPILOT_PROVIDER_TYPE decides',
    );
  });

  it('names a plugin route that is not built in, at every start', () => {
    const plugin = createTestPlugin({ route: { name: 'mistral' } });
    const resolve = () => resolveFederation({}, [plugin]);
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(
      'provider plugin test declares route "mistral", which is not a built-in route; built-in routes: openai, anthropic, copilot',
    );
  });

  it('accepts a COPILOT_PROVIDER_TYPE that only a registered plugin declares, and no other', () => {
    const plugin = createTestPlugin({ copilotProviderTypes: ['mistral'] });
    const env = { ...ENV, AWF_AUTH_PROVIDER: undefined, COPILOT_PROVIDER_TYPE: 'Mistral' };
    const config = loadConfig(env, [plugin]);
    expect(config.routes.find((r) => r.name === 'copilot')!.auth).toMatchObject({
      kind: 'federated',
      wireFormat: 'bearer',
    });
    expect(() => loadConfig({ ...env, COPILOT_PROVIDER_TYPE: 'nimbus' }, [plugin])).toThrow(
      'COPILOT_PROVIDER_TYPE: unknown provider type "nimbus"; expected one of openai, azure, anthropic, vertex, gcp, bedrock, aws, mistral',
    );
  });
});
