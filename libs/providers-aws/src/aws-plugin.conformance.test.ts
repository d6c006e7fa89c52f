import { describePluginConformance } from '@keyless/auth-core/testing/conformance';
import { awsPlugin } from './aws-plugin.ts';
import { startAwsSts, startGithubOidcIssuer } from '@keyless/fakes';

const ROLE = 'arn:aws:iam::123456789012:role/keyless';
const ENV = { AWF_AUTH_AWS_ROLE_ARN: ROLE, AWF_AUTH_AWS_REGION: 'us-east-1' };

// The shared plugin checks, with the fake STS as the backend.
describePluginConformance({
  plugin: awsPlugin,
  env: ENV,
  async backend() {
    const issuer = await startGithubOidcIssuer();
    const sts = await startAwsSts({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      roles: [{ arn: ROLE }],
    });
    return {
      env: { ...ENV, AWS_ENDPOINT_URL_STS: sts.url },
      mintIdToken: (audience) => issuer.mint(audience),
      exchanges: () => sts.requests.filter((request) => request.method === 'POST').length,
      close: async () => {
        await sts.close();
        await issuer.close();
      },
    };
  },
  // Port 9 (discard) on loopback: nothing listens there in a test environment.
  unreachableEnv: () => ({ ...ENV, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' }),
  secretsOf: (material) => [
    material.credentials.secretAccessKey,
    material.credentials.sessionToken ?? '',
  ],
});
