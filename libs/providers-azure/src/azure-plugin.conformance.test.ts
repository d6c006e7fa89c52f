import tls from 'node:tls';
import { fakeGithubToken } from '@keyless/auth-core/testing';
import { describePluginConformance } from '@keyless/auth-core/testing/conformance';
import { azurePlugin } from './azure-plugin.ts';
import { LOCAL_TENANT, startLocalEntra } from './test-support/local-entra.ts';
import { selfSignedCertificate } from './test-support/self-signed.ts';

const ENV = {
  AWF_AUTH_AZURE_TENANT_ID: LOCAL_TENANT,
  AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
};

describePluginConformance({
  plugin: azurePlugin,
  env: ENV,
  async backend() {
    const credentials = await selfSignedCertificate();
    // The SDK reads NODE_EXTRA_CA_CERTS only at process start; trust the test certificate directly.
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), credentials.cert]);
    const entra = await startLocalEntra(credentials);
    return {
      env: { ...ENV, AZURE_AUTHORITY_HOST: entra.url },
      mintIdToken: async (audience) => fakeGithubToken(audience),
      // Token POSTs only: the metadata GET is per credential object, which is new per acquire too.
      exchanges: () => entra.requests.filter((request) => request.method === 'POST').length,
      close: () => entra.close(),
    };
  },
  secretsOf: (material) => [material],
  // Port 9 (discard) on loopback: nothing listens there in a test environment.
  unreachableEnv: () => ({ ...ENV, AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9' }),
});
