import https from 'node:https';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { ExchangeError, parseEgressProxy, type OutgoingRequest } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAzureConfig } from './azure-config.ts';
import { azureCredentialKey, azurePlugin, createAzurePlugin } from './azure-plugin.ts';
import { ENTRA_RETRY_OPTIONS, type EntraCredentialInit } from './entra-credential.ts';
import { EntraBadResponseError, FederatedCredentialMismatchError } from './errors.ts';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const ENV = {
  AWF_AUTH_AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
};

/** A credential factory whose credentials answer with `answer` and record how they were built and used. */
function fakeFactory(answer: (init: EntraCredentialInit) => Promise<AccessToken | null>) {
  const inits: EntraCredentialInit[] = [];
  const credentials: TokenCredential[] = [];
  const calls: { scopes: string | string[]; options?: GetTokenOptions }[] = [];
  const createCredential = (init: EntraCredentialInit): TokenCredential => {
    inits.push(init);
    const credential: TokenCredential = {
      async getToken(scopes, options) {
        calls.push({ scopes, ...(options ? { options } : {}) });
        return answer(init);
      },
    };
    credentials.push(credential);
    return credential;
  };
  return { inits, credentials, calls, createCredential };
}

describe('azurePlugin', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('declares what the registry needs', () => {
    expect(azurePlugin.name).toBe('azure');
    expect(azurePlugin.authTypes).toEqual(['github-oidc']);
    expect(azurePlugin.copilotProviderTypes).toEqual(['azure']);
    expect(azurePlugin.route).toEqual({ name: 'openai', whenSet: 'OPENAI_API_TARGET' });
    expect(azurePlugin.signsBody).toBeFalsy();
    expect(azurePlugin.settings.map((s) => [s.env, s.authKey])).toEqual([
      ['AWF_AUTH_AZURE_TENANT_ID', 'azure-tenant-id'],
      ['AWF_AUTH_AZURE_CLIENT_ID', 'azure-client-id'],
      ['AWF_AUTH_AZURE_SCOPE', 'azure-scope'],
      ['AWF_AUTH_AZURE_CLOUD', 'azure-cloud'],
      ['AZURE_AUTHORITY_HOST', undefined],
      ['AWF_AUTH_OIDC_AUDIENCE', 'audience'],
    ]);
  });

  it('exchanges a freshly minted GitHub token once and reports the SDK expiry', async () => {
    const factory = fakeFactory(async (init) => {
      // MSAL calls the assertion callback twice per getToken; both must see the one minted token.
      await init.getAssertion();
      await init.getAssertion();
      return { token: 'entra-access-token', expiresOnTimestamp: NOW + 3_599_000 };
    });
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const config = plugin.parseConfig(ENV);
    const context = fakeAcquireContext();

    const credential = await plugin.acquire(config, context);

    expect(credential).toEqual({ material: 'entra-access-token', expiresAt: NOW + 3_599_000 });
    expect(context.audiences).toEqual(['api://AzureADTokenExchange']);
    expect(await factory.inits[0]?.getAssertion()).toBe(context.minted[0]);
    expect(context.secrets).toContain('entra-access-token');
    expect(context.hops).toEqual(['entra-token']);
    expect(factory.calls).toEqual([
      {
        scopes: 'https://cognitiveservices.azure.com/.default',
        options: { abortSignal: context.signal },
      },
    ]);
  });

  it('builds the SDK credential with the authority, no instance discovery, short retries and a direct agent', async () => {
    const factory = fakeFactory(async () => ({ token: 't', expiresOnTimestamp: NOW + 60_000 }));
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    await plugin.acquire(
      plugin.parseConfig({ ...ENV, AWF_AUTH_AZURE_CLOUD: 'china' }),
      fakeAcquireContext(),
    );

    const init = factory.inits[0]!;
    expect(init.tenantId).toBe(ENV.AWF_AUTH_AZURE_TENANT_ID);
    expect(init.clientId).toBe(ENV.AWF_AUTH_AZURE_CLIENT_ID);
    expect(init.options).toMatchObject({
      authorityHost: 'https://login.chinacloudapi.cn',
      disableInstanceDiscovery: true,
      retryOptions: ENTRA_RETRY_OPTIONS,
    });
    expect(init.options.agent).toBeInstanceOf(https.Agent);
    expect(init.options.additionalPolicies).toHaveLength(1);
  });

  it("hands the SDK a keep-alive agent from the core's egress for the authority host, destroyed after", async () => {
    const factory = fakeFactory(async () => ({ token: 't', expiresOnTimestamp: NOW + 60_000 }));
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const base = fakeAcquireContext();
    const agent = new https.Agent();
    const destroy = vi.spyOn(agent, 'destroy');
    const asked: unknown[] = [];
    const context = {
      ...base,
      egress: {
        ...base.egress,
        createAgent: (target: string | URL, options?: { keepAlive?: boolean }) => {
          asked.push([String(target), options]);
          return agent;
        },
      },
    };
    await plugin.acquire(plugin.parseConfig({ ...ENV, AWF_AUTH_AZURE_CLOUD: 'china' }), context);
    expect(asked).toEqual([['https://login.chinacloudapi.cn', { keepAlive: true }]]);
    expect(factory.inits[0]?.options.agent).toBe(agent);
    expect(destroy).toHaveBeenCalledOnce();
  });

  it('names the proxy of the authority host (host only) when Entra cannot be reached', async () => {
    const factory = fakeFactory(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const context = fakeAcquireContext({
      egress: parseEgressProxy({ HTTPS_PROXY: 'http://ci:proxy-secret-1@proxy.test:3128' }),
    });
    const error = await plugin.acquire(plugin.parseConfig(ENV), context).catch((e: unknown) => e);
    await context.close();
    expect((error as Error).message).toContain('through proxy proxy.test:3128');
    expect(String((error as Error).message)).not.toContain('proxy-secret-1');
  });

  it('uses a new credential object and a new GitHub token for every acquisition', async () => {
    let n = 0;
    const factory = fakeFactory(async () => ({
      token: `t${++n}`,
      expiresOnTimestamp: NOW + 60_000,
    }));
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const config = plugin.parseConfig(ENV);
    const context = fakeAcquireContext();
    expect((await plugin.acquire(config, context)).material).toBe('t1');
    expect((await plugin.acquire(config, context)).material).toBe('t2');
    expect(factory.credentials).toHaveLength(2);
    expect(factory.credentials[0]).not.toBe(factory.credentials[1]);
    expect(context.minted).toHaveLength(2);
    expect(context.minted[0]).not.toBe(context.minted[1]);
  });

  it('maps SDK failures to typed errors whose fix names the GitHub subject', async () => {
    const sdkError = Object.assign(
      new Error('invalid_client: AADSTS70021: No matching federated identity record found'),
      {
        name: 'ServerError',
        errorCode: 'invalid_client',
        errorNo: '70021',
        status: 401,
      },
    );
    const factory = fakeFactory(async () => {
      throw sdkError;
    });
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const error = await plugin
      .acquire(plugin.parseConfig(ENV), fakeAcquireContext())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FederatedCredentialMismatchError);
    expect((error as FederatedCredentialMismatchError).cause).toBe(sdkError);
    expect((error as FederatedCredentialMismatchError).fix).toContain(
      'subject repo:octo-org/octo-repo:ref:refs/heads/main',
    );
  });

  it('lets a GitHub minting failure through untouched and makes no Entra call', async () => {
    const mintError = new ExchangeError(
      'KEYLESS_ERR_OIDC',
      'github-oidc',
      'add permissions: id-token: write',
    );
    const factory = fakeFactory(async () => ({ token: 't', expiresOnTimestamp: NOW + 60_000 }));
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const context = fakeAcquireContext({ mint: () => Promise.reject(mintError) });
    await expect(plugin.acquire(plugin.parseConfig(ENV), context)).rejects.toBe(mintError);
    expect(factory.calls).toHaveLength(0);
  });

  it.each([
    ['no token', null],
    ['an empty token', { token: '', expiresOnTimestamp: NOW + 60_000 }],
    ['an expiry in the past', { token: 't', expiresOnTimestamp: NOW }],
    ['a NaN expiry', { token: 't', expiresOnTimestamp: Number.NaN }],
  ])('rejects an answer with %s', async (_, answer) => {
    const factory = fakeFactory(async () => answer);
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    await expect(
      plugin.acquire(plugin.parseConfig(ENV), fakeAcquireContext()),
    ).rejects.toBeInstanceOf(EntraBadResponseError);
  });

  it('does nothing once the signal is aborted', async () => {
    const factory = fakeFactory(async () => ({ token: 't', expiresOnTimestamp: NOW + 60_000 }));
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    const context = fakeAcquireContext();
    context.controller.abort(new Error('shutdown'));
    await expect(plugin.acquire(plugin.parseConfig(ENV), context)).rejects.toThrow('shutdown');
    expect(context.audiences).toHaveLength(0);
  });

  it('rethrows the abort reason when aborted during the exchange', async () => {
    const context = fakeAcquireContext();
    const factory = fakeFactory(async () => {
      context.controller.abort(new Error('shutdown'));
      throw new Error('network_error');
    });
    const plugin = createAzurePlugin({ createCredential: factory.createCredential });
    await expect(plugin.acquire(plugin.parseConfig(ENV), context)).rejects.toThrow('shutdown');
  });

  it('applies the token as a bearer and drops a client api-key', () => {
    const request: OutgoingRequest = {
      method: 'POST',
      origin: 'https://res.openai.azure.com',
      path: '/openai/v1/chat/completions',
      headers: { 'api-key': 'placeholder', 'content-type': 'application/json' },
    };
    void azurePlugin.apply('entra-access-token', request, 'bearer');
    expect(request.headers).toEqual({
      authorization: 'Bearer entra-access-token',
      'content-type': 'application/json',
    });
  });
});

describe('azureCredentialKey', () => {
  it('changes with identity, audience, scope and cloud, never with the proxy, and carries no secret', () => {
    const key = (env: Record<string, string>) =>
      azureCredentialKey(parseAzureConfig({ ...ENV, ...env }));
    const base = key({});
    expect(base).toBe(
      'azure https://login.microsoftonline.com 72f988bf-86f1-41af-91ab-2d7cd011db47 ' +
        '11111111-2222-3333-4444-555555555555 api://AzureADTokenExchange https://cognitiveservices.azure.com/.default',
    );
    expect(key({ HTTPS_PROXY: 'http://p:1' })).toBe(base);
    const changes: Record<string, string>[] = [
      { AWF_AUTH_AZURE_TENANT_ID: 'contoso.onmicrosoft.com' },
      { AWF_AUTH_AZURE_CLIENT_ID: '99999999-2222-3333-4444-555555555555' },
      { AWF_AUTH_OIDC_AUDIENCE: 'api://other' },
      { AWF_AUTH_AZURE_SCOPE: 'api://x/.default' },
      { AWF_AUTH_AZURE_CLOUD: 'usgovernment' },
    ];
    for (const change of changes) {
      expect(key(change)).not.toBe(base);
    }
  });
});
