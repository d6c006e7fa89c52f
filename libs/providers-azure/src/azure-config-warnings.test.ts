import { describe, expect, it } from 'vitest';
import { parseAzureConfig } from './azure-config.ts';
import { azureConfigWarnings } from './azure-config-warnings.ts';

const BASE = {
  AWF_AUTH_AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
};

describe('azureConfigWarnings', () => {
  it('is silent for the default audience', () => {
    expect(azureConfigWarnings(parseAzureConfig(BASE))).toEqual([]);
  });

  it.each([
    'https://cognitiveservices.azure.com',
    'https://cognitiveservices.azure.com/',
    'api://my-app',
  ])('flags the resource %s given as the GitHub token audience', (audience) => {
    const config = parseAzureConfig({
      ...BASE,
      AWF_AUTH_OIDC_AUDIENCE: audience,
      AWF_AUTH_AZURE_SCOPE: 'api://my-app/.default',
    });
    const warnings = azureConfigWarnings(config);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AWF_AUTH_OIDC_AUDIENCE');
  });
});
