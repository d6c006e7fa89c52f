import { ConfigError } from './errors.ts';

/** The configuration a plugin parses: environment variable name -> value. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One configuration input: an environment variable and its workflow frontmatter key. */
export interface Setting {
  /** Environment variable, e.g. `AWF_AUTH_OIDC_AUDIENCE`. */
  readonly env: string;
  /** Key under `engine.auth` in the workflow frontmatter, e.g. `audience`. */
  readonly authKey?: string;
  /** One line for the configuration reference. */
  readonly description: string;
  /** Default as shown in the reference (the parser applies it). */
  readonly default?: string;
  readonly required?: boolean;
}

/** `AWF_AUTH_OIDC_AUDIENCE (engine.auth.audience)`: how errors name a setting. */
export function settingLabel(setting: Setting): string {
  return setting.authKey ? `${setting.env} (engine.auth.${setting.authKey})` : setting.env;
}

/** A ConfigError that names the variable and its frontmatter key. */
export function configError(setting: Setting, problem: string): ConfigError {
  return new ConfigError(`${settingLabel(setting)}: ${problem}`);
}

/** The trimmed value of a setting; empty counts as unset. */
export function readSetting(env: Environment, setting: Setting): string | undefined {
  const value = env[setting.env]?.trim();
  return value ? value : undefined;
}

/** The value of a required setting, or a ConfigError saying it is required. */
export function requireSetting(env: Environment, setting: Setting): string {
  const value = readSetting(env, setting);
  if (value === undefined) throw configError(setting, 'is required');
  return value;
}
