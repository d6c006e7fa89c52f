import {
  AWF_AUTH_OIDC_AUDIENCE,
  AWF_AUTH_PROVIDER,
  AWF_AUTH_TYPE,
  type ProviderPlugin,
  type Setting,
} from '@keyless/auth-core';

/**
 * `engine.auth` key -> environment variable, as the workflow compiler maps
 * them: the common keys plus every registered plugin's own settings.
 */
export function authKeyMap(plugins: readonly ProviderPlugin[]): ReadonlyMap<string, Setting> {
  const map = new Map<string, Setting>();
  for (const setting of [
    AWF_AUTH_TYPE,
    AWF_AUTH_PROVIDER,
    AWF_AUTH_OIDC_AUDIENCE,
    ...plugins.flatMap((p) => p.settings),
  ]) {
    if (setting.authKey) map.set(setting.authKey, setting);
  }
  return map;
}
