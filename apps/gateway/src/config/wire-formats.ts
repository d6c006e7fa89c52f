import type { WireFormat } from '@keyless/auth-core';
import type { FlavorName } from './flavors.ts';

/**
 * The credential formats each wire flavor's upstream accepts, static key
 * format first: Azure OpenAI takes an `api-key` or an Entra Bearer token, the
 * Anthropic API an `x-api-key` or an OAuth Bearer token, Bedrock a SigV4
 * signature or a Bedrock API key as Bearer. A federated plugin serves a route
 * in the first of its own formats that the route accepts.
 */
export const ACCEPTED_WIRE_FORMATS: Readonly<Record<FlavorName, readonly WireFormat[]>> = {
  openai: ['bearer'],
  azure: ['api-key', 'bearer'],
  anthropic: ['x-api-key', 'bearer'],
  google: ['bearer'],
  bedrock: ['signature', 'bearer'],
};
