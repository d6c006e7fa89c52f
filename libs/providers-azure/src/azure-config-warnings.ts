import type { AzureConfig } from './azure-config.ts';
import { AZURE_AUDIENCE, DEFAULT_AZURE_AUDIENCE } from './azure-settings.ts';

/**
 * Non-fatal doubts about a valid config, for `keyless doctor`: an audience that looks like the
 * resource the token is for (a scope given as audience) rather than the federated credential's.
 */
export function azureConfigWarnings(config: AzureConfig): readonly string[] {
  const resource = config.scope.replace(/\/\.default$/, '');
  const audience = config.audience.replace(/\/+$/, '');
  if (audience === resource || /^https:\/\/cognitiveservices\./i.test(audience)) {
    return [
      `${AZURE_AUDIENCE.env} "${config.audience}" looks like the Entra resource, not the audience of the ` +
        `federated credential (usually ${DEFAULT_AZURE_AUDIENCE})`,
    ];
  }
  return [];
}
