import type { StaticAuth } from './gateway-config.ts';

/**
 * A wire flavor: which header carries a static key and which error body shape
 * the client's SDK understands.
 */
export interface Flavor {
  readonly name: FlavorName;
  /** Header for a static key; `authorization` values get the `Bearer ` scheme. */
  readonly keyHeader: 'authorization' | 'api-key' | 'x-api-key' | 'x-goog-api-key';
  /** Headers added when the client did not send them. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
}

export const FLAVOR_NAMES = ['openai', 'azure', 'anthropic', 'google', 'bedrock'] as const;
export type FlavorName = (typeof FLAVOR_NAMES)[number];

export const FLAVORS: Readonly<Record<FlavorName, Flavor>> = {
  openai: { name: 'openai', keyHeader: 'authorization' },
  azure: { name: 'azure', keyHeader: 'api-key' },
  anthropic: {
    name: 'anthropic',
    keyHeader: 'x-api-key',
    defaultHeaders: { 'anthropic-version': '2023-06-01' },
  },
  google: { name: 'google', keyHeader: 'x-goog-api-key' },
  bedrock: { name: 'bedrock', keyHeader: 'authorization' },
};

/**
 * A static key as a route sends it: in the flavor's key header, or as
 * `Authorization: Bearer` when `bearer` (bearer tokens) or the flavor says so.
 */
export function staticAuth(
  variable: string,
  key: string,
  flavor: Flavor,
  bearer = false,
): StaticAuth {
  const [header, value] =
    bearer || flavor.keyHeader === 'authorization'
      ? ['authorization', `Bearer ${key}`]
      : [flavor.keyHeader, key];
  return { kind: 'static', variable, key, header, value };
}
