import { ConfigError, type Environment } from '@keyless/auth-core';
import { AWF_VARIABLES, type AwfVariable } from './awf-variables.ts';

/** `AWF_FOO (engine.auth.foo)`: how a refusal names a variable. */
function label(variable: AwfVariable): string {
  return variable.authKey ? `${variable.env} (engine.auth.${variable.authKey})` : variable.env;
}

/**
 * Stops the start when the environment asks for an api-proxy behaviour that
 * Keyless refuses (a guard, a policy, a provider that is not installed), so
 * that a budget or guard is never silently dropped. Every offending variable
 * is named at once, each with what to do.
 */
export function refuseAwfVariables(env: Environment): void {
  const refused = AWF_VARIABLES.filter(
    (variable) =>
      variable.treatment === 'refused' &&
      (variable.active ? variable.active(env) : Boolean(env[variable.env]?.trim())),
  );
  if (refused.length === 0) return;
  const lines = refused.map((variable) => `  ${label(variable)}: ${variable.note}`);
  throw new ConfigError(
    `${refused.length === 1 ? 'this api-proxy setting is' : 'these api-proxy settings are'} not supported:\n${lines.join('\n')}`,
  );
}
