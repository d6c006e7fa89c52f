import {
  AWF_AUTH_OIDC_AUDIENCE,
  AWF_AUTH_PROVIDER,
  AWF_AUTH_TYPE,
  type ProviderPlugin,
  type Setting,
} from '@keyless/auth-core';
import { AWF_VARIABLES } from './awf-variables.ts';
import { ROUTE_SETTINGS } from './route-settings.ts';

/**
 * `engine.auth` key -> environment variable, as the workflow compiler maps
 * them: the common keys, every registered plugin's own settings, the routes'
 * keys (`project`, `location`), and the keys of api-proxy variables Keyless
 * knows but refuses (e.g. the Anthropic ones), so that those fail with the
 * reason rather than as unknown keys.
 */
export function authKeyMap(plugins: readonly ProviderPlugin[]): ReadonlyMap<string, Setting> {
  const map = new Map<string, Setting>();
  const known: Setting[] = AWF_VARIABLES.map((variable) => ({
    env: variable.env,
    authKey: variable.authKey,
    description: variable.note,
  }));
  for (const setting of [
    AWF_AUTH_TYPE,
    AWF_AUTH_PROVIDER,
    AWF_AUTH_OIDC_AUDIENCE,
    ...plugins.flatMap((p) => p.settings),
    ...ROUTE_SETTINGS,
    ...known,
  ]) {
    if (setting.authKey && !map.has(setting.authKey)) map.set(setting.authKey, setting);
  }
  return map;
}
