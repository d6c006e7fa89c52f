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

/** The header name and value that carry a static key in this flavor. */
export function keyHeaderFor(flavor: Flavor, key: string): [string, string] {
  return flavor.keyHeader === 'authorization'
    ? ['authorization', `Bearer ${key}`]
    : [flavor.keyHeader, key];
}
