import type { ProviderPlugin } from '@keyless/auth-core';
import { anthropicPlugin } from '@keyless/providers-anthropic/plugin';
import { awsPlugin } from '@keyless/providers-aws/plugin';
import { azurePlugin } from '@keyless/providers-azure/plugin';
import { gcpPlugin } from '@keyless/providers-gcp/plugin';

/**
 * The federated identity providers this gateway ships: the one registration
 * list a new provider library is added to. Each is imported from its light
 * `/plugin` entry (settings, config parsing, selection data); its SDK loads
 * on the first exchange, so only a configured provider costs memory.
 */
export const PROVIDER_PLUGINS: readonly ProviderPlugin[] = [
  azurePlugin,
  gcpPlugin,
  awsPlugin,
  anthropicPlugin,
];
