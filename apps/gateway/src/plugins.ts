import type { ProviderPlugin } from '@keyless/auth-core';
import { awsPlugin } from '@keyless/providers-aws';
import { azurePlugin } from '@keyless/providers-azure';
import { gcpPlugin } from '@keyless/providers-gcp';

/**
 * The federated identity providers this gateway ships: the one registration
 * list a new provider library is added to.
 */
export const PROVIDER_PLUGINS: readonly ProviderPlugin[] = [azurePlugin, gcpPlugin, awsPlugin];
