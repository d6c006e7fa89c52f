import { describePluginConformance } from '@keyless/auth-core/testing/conformance';
import { startAnthropicTokenService, startGithubOidcIssuer } from '@keyless/fakes';
import { anthropicPlugin } from './anthropic-plugin.ts';

const ORG = '00000000-0000-4000-8000-0000000000ab';
const ENV = {
  AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_conformance',
  AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: ORG,
  AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_conformance',
};

// The shared plugin checks, with the fake token endpoint as the backend.
describePluginConformance({
  plugin: anthropicPlugin,
  env: ENV,
  async backend() {
    const issuer = await startGithubOidcIssuer();
    const service = await startAnthropicTokenService({
      issuer,
      rules: [
        { id: 'fdrl_conformance', organizationId: ORG, serviceAccountId: 'svac_conformance' },
      ],
    });
    return {
      env: { ...ENV, AWF_AUTH_ANTHROPIC_TOKEN_URL: service.tokenUrl },
      mintIdToken: (audience) => issuer.mint(audience),
      exchanges: () => service.count('/v1/oauth/token'),
      close: async () => {
        await service.close();
        await issuer.close();
      },
    };
  },
  secretsOf: (material) => [material],
  // Port 9 (discard) on loopback: nothing listens there in a test environment.
  unreachableEnv: () => ({
    ...ENV,
    AWF_AUTH_ANTHROPIC_TOKEN_URL: 'http://127.0.0.1:9/v1/oauth/token',
  }),
});
