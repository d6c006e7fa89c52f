import { createTestPlugin } from '@keyless/auth-core/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { parseConfigFile } from './config-file.ts';

const plugin = createTestPlugin({ copilotProviderTypes: ['azure'] });
const OIDC = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789',
  AWF_AUTH_TEST_TOKEN_URL: 'https://sts.example/token',
};

describe('loadConfig: the federated identity', () => {
  it('serves the copilot route (BYOK) and the plugin route when its variable is set, replacing static keys', () => {
    const config = loadConfig(
      {
        ...OIDC,
        AWF_AUTH_TYPE: 'github-oidc',
        COPILOT_PROVIDER_TYPE: 'azure',
        COPILOT_PROVIDER_BASE_URL: 'https://r.example/openai',
        COPILOT_PROVIDER_API_KEY: 'byok-static-key',
        OPENAI_API_TARGET: 'https://r.example',
        ANTHROPIC_API_KEY: 'sk-ant-static',
      },
      [plugin],
    );
    expect(config.routes.map((r) => [r.name, r.auth.kind])).toEqual([
      ['openai', 'federated'],
      ['anthropic', 'static'],
      ['copilot', 'federated'],
      ['gemini', 'unconfigured'],
      ['vertex', 'unconfigured'],
      ['bedrock', 'unconfigured'],
    ]);
    expect(config.warnings).toEqual([
      expect.stringMatching(/route copilot: COPILOT_PROVIDER_API_KEY is ignored/),
    ]);
  });

  it('leaves the plugin route out when its variable is unset', () => {
    const config = loadConfig(
      {
        ...OIDC,
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'test',
        COPILOT_PROVIDER_BASE_URL: 'https://r.example',
      },
      [plugin],
    );
    expect(config.routes.filter((r) => r.auth.kind === 'federated').map((r) => r.name)).toEqual([
      'copilot',
    ]);
    // The unconfigured plugin route names the plugin and the variable that would enable it.
    expect(config.routes.find((r) => r.name === plugin.route.name)!.auth).toMatchObject({
      kind: 'unconfigured',
      configuredBy: expect.stringContaining(
        `AWF_AUTH_TYPE=github-oidc with AWF_AUTH_PROVIDER=test and ${plugin.route.whenSet}`,
      ),
    });
  });

  it('says to add id-token: write when the Actions OIDC variables are missing', () => {
    expect(() =>
      loadConfig(
        {
          AWF_AUTH_TYPE: 'github-oidc',
          AWF_AUTH_PROVIDER: 'test',
          AWF_AUTH_TEST_TOKEN_URL: 'https://sts.example/t',
        },
        [plugin],
      ),
    ).toThrow(/id-token: write/);
  });

  it('names both variables when neither selects a provider', () => {
    expect(() => loadConfig({ ...OIDC, AWF_AUTH_TYPE: 'github-oidc' }, [plugin])).toThrow(
      /AWF_AUTH_PROVIDER.*COPILOT_PROVIDER_TYPE|COPILOT_PROVIDER_TYPE.*AWF_AUTH_PROVIDER/,
    );
  });

  it('builds routes of a routes list, each with its own auth', () => {
    const file = parseConfigFile(
      [
        'routes:',
        '  - {name: a, port: 11000, upstream: "http://127.0.0.1:9000/v1", flavor: openai, auth: {type: static, key-env: A_KEY}}',
        '  - {name: b, port: 11001, upstream: "https://b.example", flavor: anthropic, auth: {type: github-oidc, provider: test, test-token-url: "https://sts.example/t"}}',
      ].join('\n'),
      'k.yaml',
      [plugin],
    );
    const config = loadConfig({ ...OIDC, A_KEY: 'a-key-0123456789' }, [plugin], file.routes);
    expect(config.routes[0]).toMatchObject({
      name: 'a',
      port: 11000,
      upstream: { origin: 'http://127.0.0.1:9000', basePath: '/v1' },
      auth: { kind: 'static', header: 'authorization', value: 'Bearer a-key-0123456789' },
    });
    expect(config.routes[1]).toMatchObject({
      name: 'b',
      flavor: { name: 'anthropic' },
      auth: { kind: 'federated', type: 'github-oidc' },
    });
    expect(() => loadConfig(OIDC, [plugin], file.routes)).toThrow(
      /A_KEY \(auth\.key-env\) is not set/,
    );
  });
});
