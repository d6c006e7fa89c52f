import { ConfigError, type Environment, type ProviderPlugin } from '@keyless/auth-core';
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

/**
 * The canonical `COPILOT_PROVIDER_TYPE` (default `openai`): one of the gateway's
 * own types, or as written for a type only a registered plugin declares
 * (`checkCopilotProviderType` refuses any other at startup).
 */
export function copilotProviderType(env: Environment): string {
  const raw = env.COPILOT_PROVIDER_TYPE?.trim().toLowerCase();
  if (!raw) return 'openai';
  return TYPES[raw] ?? raw;
}

/**
 * Startup check: `COPILOT_PROVIDER_TYPE` must be one of the gateway's own
 * types (a static BYOK key needs its wire flavor) or one a registered plugin
 * declares in `copilotProviderTypes` (that plugin then serves the route).
 */
export function checkCopilotProviderType(
  env: Environment,
  plugins: readonly Pick<ProviderPlugin, 'copilotProviderTypes'>[],
): void {
  const raw = env.COPILOT_PROVIDER_TYPE?.trim().toLowerCase();
  if (!raw || TYPES[raw]) return;
  const declared = [
    ...new Set(
      plugins.flatMap((plugin) => plugin.copilotProviderTypes.map((t) => t.toLowerCase())),
    ),
  ];
  if (declared.includes(raw)) return;
  const extra = declared.filter((type) => !TYPES[type]);
  throw new ConfigError(
    `COPILOT_PROVIDER_TYPE: unknown provider type ${JSON.stringify(raw)}; expected one of ${[...Object.keys(TYPES), ...extra].join(', ')}`,
  );
}

/** The copilot route's wire flavor for its provider type. */
export function copilotFlavor(env: Environment): FlavorName {
  return FLAVOR_BY_TYPE[copilotProviderType(env)] ?? 'openai';
}
