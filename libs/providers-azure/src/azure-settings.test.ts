import { AzureAuthorityHosts } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { AZURE_CLOUD_PROFILES } from './azure-settings.ts';

describe('AZURE_CLOUD_PROFILES', () => {
  // The hosts are written out so that settings load without the SDK; they must not drift from it.
  it("uses the SDK's authority hosts", () => {
    expect(AZURE_CLOUD_PROFILES.public.authorityHost).toBe(AzureAuthorityHosts.AzurePublicCloud);
    expect(AZURE_CLOUD_PROFILES.usgovernment.authorityHost).toBe(
      AzureAuthorityHosts.AzureGovernment,
    );
    expect(AZURE_CLOUD_PROFILES.china.authorityHost).toBe(AzureAuthorityHosts.AzureChina);
  });
});
