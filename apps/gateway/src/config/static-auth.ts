import type { Flavor } from './flavors.ts';
import type { StaticAuth } from './gateway-config.ts';

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
