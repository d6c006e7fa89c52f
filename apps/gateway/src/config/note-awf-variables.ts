import type { Environment, Setting } from '@keyless/auth-core';
import { AWF_VARIABLES } from './awf-variables.ts';

const isSet = (env: Environment, name: string) => Boolean(env[name]?.trim());

/**
 * The startup warning for `AWF_*` variables that are set but change nothing:
 * the api-proxy's harmless-to-drop ones (each with why), and names neither the
 * api-proxy table nor any Keyless setting knows (a typo, or a variable newer
 * than this release). Undefined when there is nothing to say. Names only,
 * never a value.
 */
export function noteAwfVariables(
  env: Environment,
  settings: readonly Pick<Setting, 'env'>[],
): string | undefined {
  const ignored = AWF_VARIABLES.filter(
    (variable) => variable.treatment === 'ignored' && isSet(env, variable.env),
  ).map((variable) => `${variable.env} (${variable.note})`);
  const known = new Set([...AWF_VARIABLES.map((v) => v.env), ...settings.map((s) => s.env)]);
  const unknown = Object.keys(env)
    .filter((name) => name.startsWith('AWF_') && !known.has(name) && isSet(env, name))
    .sort();
  const parts = [
    ...(ignored.length > 0 ? [`api-proxy settings ignored (harmless): ${ignored.join('; ')}`] : []),
    ...(unknown.length > 0
      ? [
          `unknown AWF_* variables, ignored (not read by Keyless; check the spelling or the README reference): ${unknown.join(', ')}`,
        ]
      : []),
  ];
  return parts.length > 0 ? parts.join('. ') : undefined;
}
