import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { parseAzureConfig } from './azure-config.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const BASE = { AWF_AUTH_AZURE_TENANT_ID: TENANT, AWF_AUTH_AZURE_CLIENT_ID: CLIENT };

function configError(env: Record<string, string>): ConfigError {
  try {
    parseAzureConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseAzureConfig', () => {
  it('applies the public-cloud defaults and freezes the result', () => {
    const config = parseAzureConfig(BASE);
    expect(config).toEqual({
      tenantId: TENANT,
      clientId: CLIENT,
      cloud: 'public',
      authorityHost: 'https://login.microsoftonline.com',
      scope: 'https://cognitiveservices.azure.com/.default',
      audience: 'api://AzureADTokenExchange',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['public', 'https://login.microsoftonline.com', 'https://cognitiveservices.azure.com/.default'],
    [
      'usgovernment',
      'https://login.microsoftonline.us',
      'https://cognitiveservices.azure.us/.default',
    ],
    ['china', 'https://login.chinacloudapi.cn', 'https://cognitiveservices.azure.cn/.default'],
    [
      'AzureUSGovernment',
      'https://login.microsoftonline.us',
      'https://cognitiveservices.azure.us/.default',
    ],
    [
      'AzureChinaCloud',
      'https://login.chinacloudapi.cn',
      'https://cognitiveservices.azure.cn/.default',
    ],
  ])('cloud %s selects authority %s and scope %s', (cloud, authorityHost, scope) => {
    const config = parseAzureConfig({ ...BASE, AWF_AUTH_AZURE_CLOUD: cloud });
    expect(config.authorityHost).toBe(authorityHost);
    expect(config.scope).toBe(scope);
  });

  it('lets AZURE_AUTHORITY_HOST override the authority while the cloud still picks the scope', () => {
    const config = parseAzureConfig({
      ...BASE,
      AWF_AUTH_AZURE_CLOUD: 'usgovernment',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8443/',
    });
    expect(config.authorityHost).toBe('https://127.0.0.1:8443');
    expect(config.scope).toBe('https://cognitiveservices.azure.us/.default');
  });

  it('keeps an explicit scope and audience, and accepts a tenant domain', () => {
    const config = parseAzureConfig({
      ...BASE,
      AWF_AUTH_AZURE_TENANT_ID: 'Contoso.onmicrosoft.com',
      AWF_AUTH_AZURE_SCOPE: 'api://my-app/.default',
      AWF_AUTH_OIDC_AUDIENCE: 'api://custom',
    });
    expect(config.tenantId).toBe('contoso.onmicrosoft.com');
    expect(config.scope).toBe('api://my-app/.default');
    expect(config.audience).toBe('api://custom');
  });

  it.each([
    [
      { AWF_AUTH_AZURE_CLIENT_ID: CLIENT },
      'AWF_AUTH_AZURE_TENANT_ID (engine.auth.azure-tenant-id): is required',
    ],
    [
      { AWF_AUTH_AZURE_TENANT_ID: TENANT },
      'AWF_AUTH_AZURE_CLIENT_ID (engine.auth.azure-client-id): is required',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_TENANT_ID: 'tenant/../x' },
      'AWF_AUTH_AZURE_TENANT_ID (engine.auth.azure-tenant-id): must be',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_TENANT_ID: 'common' },
      'AWF_AUTH_AZURE_TENANT_ID (engine.auth.azure-tenant-id): "common" is a multi-tenant alias',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_CLIENT_ID: 'my-app' },
      'AWF_AUTH_AZURE_CLIENT_ID (engine.auth.azure-client-id): must be',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_CLOUD: 'germany' },
      'AWF_AUTH_AZURE_CLOUD (engine.auth.azure-cloud): must be public, usgovernment or china',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_SCOPE: 'https://cognitiveservices.azure.com' },
      'AWF_AUTH_AZURE_SCOPE (engine.auth.azure-scope): must be one',
    ],
    [
      { ...BASE, AWF_AUTH_AZURE_SCOPE: 'a/.default b/.default' },
      'AWF_AUTH_AZURE_SCOPE (engine.auth.azure-scope): must be one',
    ],
    [
      { ...BASE, AZURE_AUTHORITY_HOST: 'http://127.0.0.1:8080' },
      'AZURE_AUTHORITY_HOST: must use https',
    ],
    [{ ...BASE, AZURE_AUTHORITY_HOST: 'login' }, 'AZURE_AUTHORITY_HOST: must be an https URL'],
    [
      { ...BASE, AZURE_AUTHORITY_HOST: 'https://u:p@login.example' },
      'AZURE_AUTHORITY_HOST: must be a plain https origin',
    ],
    [
      { ...BASE, AWF_AUTH_OIDC_AUDIENCE: 'https://cognitiveservices.azure.com/.default' },
      'AWF_AUTH_OIDC_AUDIENCE (engine.auth.audience): "https://cognitiveservices.azure.com/.default" is an Entra scope',
    ],
  ])('rejects %j naming the variable and its frontmatter key', (env, message) => {
    expect(configError(env as Record<string, string>).message).toContain(message);
  });

  it('treats empty values as unset', () => {
    expect(
      parseAzureConfig({ ...BASE, AWF_AUTH_AZURE_SCOPE: ' ', AWF_AUTH_AZURE_CLOUD: '' }).scope,
    ).toBe('https://cognitiveservices.azure.com/.default');
  });

  it('leaves the egress proxy to the core: proxy variables do not change the config', () => {
    const proxied = parseAzureConfig({ ...BASE, https_proxy: 'http://proxy.internal:3128' });
    expect(proxied).toEqual(parseAzureConfig(BASE));
  });
});
