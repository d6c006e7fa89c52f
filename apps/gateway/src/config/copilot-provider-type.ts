import { ConfigError, type Environment } from '@keyless/auth-core';
import type { FlavorName } from './flavors.ts';

/** `COPILOT_PROVIDER_TYPE` values and aliases -> canonical type. */
const TYPES: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  vertex: 'vertex',
  gcp: 'vertex',
  bedrock: 'bedrock',
  aws: 'bedrock',
};

/** Wire flavor of the copilot route per canonical provider type. */
const FLAVOR_BY_TYPE: Readonly<Record<string, FlavorName>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  vertex: 'google',
  bedrock: 'bedrock',
};

/** The canonical `COPILOT_PROVIDER_TYPE` (default `openai`); a startup error for unknown values. */
export function copilotProviderType(env: Environment): string {
  const raw = env.COPILOT_PROVIDER_TYPE?.trim().toLowerCase();
  if (!raw) return 'openai';
  const type = TYPES[raw];
  if (!type) {
    throw new ConfigError(
      `COPILOT_PROVIDER_TYPE: unknown provider type ${JSON.stringify(raw)}; expected one of ${Object.keys(TYPES).join(', ')}`,
    );
  }
  return type;
}

/** The copilot route's wire flavor for its provider type. */
export function copilotFlavor(env: Environment): FlavorName {
  return FLAVOR_BY_TYPE[copilotProviderType(env)] ?? 'openai';
}
