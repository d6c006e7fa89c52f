import { SELECTION_SETTINGS } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { PROVIDER_PLUGINS } from '../plugins.ts';
import { POLICY_PLUGINS } from '../policy-plugins.ts';
import { AWF_VARIABLES } from './awf-variables.ts';
import { GATEWAY_SETTINGS } from './gateway-settings.ts';

describe('the AWF_* table', () => {
  it('marks every AWF_* variable Keyless reads as supported', () => {
    const read = [
      ...SELECTION_SETTINGS,
      ...PROVIDER_PLUGINS.flatMap((plugin) => plugin.settings),
      ...Object.values(GATEWAY_SETTINGS),
      ...POLICY_PLUGINS.flatMap((plugin) => plugin.settings),
    ]
      .map((setting) => setting.env)
      .filter((env) => env.startsWith('AWF_'));
    const supported = new Set(
      AWF_VARIABLES.filter((v) => v.treatment === 'supported').map((v) => v.env),
    );
    // Keyless-only AWF_AUTH_* extensions (not read by the api-proxy) need not be listed.
    const listed = new Set(AWF_VARIABLES.map((v) => v.env));
    for (const env of read) if (listed.has(env)) expect(supported, env).toContain(env);
  });

  it('has a supported AWF_AUTH_ row only where an installed plugin or the selection reads it', () => {
    const read = new Set(
      [...SELECTION_SETTINGS, ...PROVIDER_PLUGINS.flatMap((plugin) => plugin.settings)].map(
        (setting) => setting.env,
      ),
    );
    for (const variable of AWF_VARIABLES) {
      if (variable.env.startsWith('AWF_AUTH_') && variable.treatment === 'supported') {
        expect(read, variable.env).toContain(variable.env);
      }
    }
  });

  it('uses the engine.auth key of the setting that reads the variable', () => {
    const keys = new Map(
      [...SELECTION_SETTINGS, ...PROVIDER_PLUGINS.flatMap((plugin) => plugin.settings)].map(
        (setting) => [setting.env, setting.authKey],
      ),
    );
    for (const variable of AWF_VARIABLES) {
      if (keys.has(variable.env))
        expect(variable.authKey, variable.env).toBe(keys.get(variable.env));
    }
  });
});
