import { describePluginConformance } from '@keyless/auth-core/testing/conformance';
import { gcpPlugin } from './gcp-plugin.ts';
import { startGcpSts, startGithubOidcIssuer } from '@keyless/fakes';

const PROVIDER = 'projects/123456/locations/global/workloadIdentityPools/github/providers/github';
const SERVICE_ACCOUNT = 'keyless-agent@keyless-test.iam.gserviceaccount.com';
const ENV = {
  AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
  AWF_AUTH_GCP_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
};

// The shared plugin checks, with the fake STS and IAM Credentials as the backend.
describePluginConformance({
  plugin: gcpPlugin,
  env: ENV,
  async backend() {
    const issuer = await startGithubOidcIssuer();
    const sts = await startGcpSts({
      issuer,
      audience: PROVIDER,
      serviceAccounts: [SERVICE_ACCOUNT],
    });
    return {
      env: {
        ...ENV,
        AWF_AUTH_GCP_TOKEN_URL: sts.tokenUrl,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: sts.iamCredentialsUrl,
      },
      mintIdToken: (audience) => issuer.mint(audience),
      // STS and IAM Credentials: impersonation is a second hop that must not be cached either.
      exchanges: () => sts.requests.filter((request) => request.method === 'POST').length,
      close: async () => {
        await sts.close();
        await issuer.close();
      },
    };
  },
  secretsOf: (material) => [material.accessToken],
  // Port 9 (discard) on loopback: nothing listens there in a test environment.
  unreachableEnv: () => ({ ...ENV, AWF_AUTH_GCP_TOKEN_URL: 'http://127.0.0.1:9/v1/token' }),
});
