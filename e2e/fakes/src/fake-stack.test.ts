import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_FAULTS } from './fake-faults.ts';
import { STACK_IDENTITY, STACK_ROUTES, startFakeStack } from './fake-stack.ts';
import type { FakeStack } from './fake-stack.ts';

let stack: FakeStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('startFakeStack', () => {
  it('points a gateway at every fake: Actions token, endpoints, CA and static keys', async () => {
    stack = await startFakeStack();
    const env = stack.env();
    expect(env.ACTIONS_ID_TOKEN_REQUEST_URL).toBe(stack.issuer.requestUrl);
    expect(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN).toBe(stack.issuer.requestToken);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(stack.ca.certFile);
    expect(env.AZURE_AUTHORITY_HOST).toBe(stack.entra.authorityHost);
    expect(env.AWF_AUTH_GCP_TOKEN_URL).toBe(stack.gcpSts.tokenUrl);
    expect(env.AWS_ENDPOINT_URL_STS).toBe(stack.awsSts.url);
    expect(env.AWF_AUTH_ANTHROPIC_TOKEN_URL).toBe(stack.anthropicTokens.tokenUrl);
    expect(env).not.toHaveProperty('HTTPS_PROXY');
    expect(Object.keys(stack.urls())).toEqual(
      expect.arrayContaining(['github-oidc', 'entra', 'bedrock']),
    );
  });

  it('close() removes the CA directory it created', async () => {
    const own = await startFakeStack();
    expect(existsSync(own.ca.certFile)).toBe(true);
    await own.close();
    expect(existsSync(dirname(own.ca.certFile))).toBe(false);
  });

  it('lists one route per provider on consecutive ports, each with its own auth block', async () => {
    stack = await startFakeStack();
    const routes = stack.routes({ bedrock: 4000 }, 3000);
    expect(routes.map((r) => r.name)).toEqual([...STACK_ROUTES]);
    expect(routes.map((r) => r.port)).toEqual([3000, 3001, 3002, 3003, 3004, 4000, 3006]);
    expect(routes.find((r) => r.name === 'vertex')?.auth).toMatchObject({
      provider: 'gcp',
      'service-account': STACK_IDENTITY.gcpServiceAccount,
    });
    const yaml = stack.configYaml({}, 3000);
    expect(yaml).toContain('  - name: azure-openai\n    port: 3002\n');
    expect(yaml).toContain('      key-env: "OPENAI_API_KEY"');
  });

  it('upstreams accept only their own credentials', async () => {
    stack = await startFakeStack();
    const models = (key: string) =>
      fetch(`${stack!.openai.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect((await models(stack.env().OPENAI_API_KEY!)).status).toBe(200);
    expect((await models('sk-wrong')).status).toBe(401);
    expect(stack.counters().openai?.requests).toBe(2);
  });

  it('mints GitHub tokens with the configured claims and counts them', async () => {
    stack = await startFakeStack({
      claims: { environment: 'production' },
      idTokenLifetimeSeconds: 60,
    });
    const response = await fetch(`${stack.issuer.requestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { authorization: `Bearer ${stack.issuer.requestToken}` },
    });
    const claims = decodeJwt(((await response.json()) as { value: string }).value);
    expect(claims.sub).toBe('repo:octo-org/octo-repo:environment:production');
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(stack.counters()['github-oidc']).toEqual({ requests: 1, issued: 1 });
    expect(stack.secrets()).toContain(stack.issuer.minted[0]);
  });

  it('env-level faults change what the runner would provide', async () => {
    stack = await startFakeStack({
      faults: ['id-token-missing', 'tls-untrusted', 'unreachable', 'proxy-refuses'],
    });
    const env = stack.env();
    expect(env).not.toHaveProperty('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(env).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    await expect(fetch(env.AWF_AUTH_GCP_TOKEN_URL!, { method: 'POST' })).rejects.toThrow();
    expect(env.HTTPS_PROXY).toBe(stack.proxy?.url);
  });

  it('a wrong request token is what the runner hands out under request-token-rejected', async () => {
    stack = await startFakeStack({ faults: ['request-token-rejected'] });
    const response = await fetch(`${stack.env().ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`, {
      headers: { authorization: `Bearer ${stack.env().ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    expect(response.status).toBe(401);
  });

  it('describes every fault', () => {
    for (const text of Object.values(FAKE_FAULTS)) expect(text.length).toBeGreaterThan(20);
  });
});
