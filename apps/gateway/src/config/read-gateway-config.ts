import type { Environment, ProviderPlugin } from '@keyless/auth-core';
import { readConfigFile } from './config-file.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { GATEWAY_SETTINGS } from './gateway-settings.ts';
import { loadConfig } from './load-config.ts';

/**
 * The configuration `serve` and `doctor` share: the environment, merged with
 * the config file given by `--config` or KEYLESS_CONFIG (real environment
 * variables win over the file's `engine.env` / `engine.auth`).
 */
export async function readGatewayConfig(options: {
  readonly configPath?: string;
  readonly env: Environment;
  readonly plugins: readonly ProviderPlugin[];
}): Promise<GatewayConfig> {
  const path = options.configPath ?? options.env[GATEWAY_SETTINGS.config.env]?.trim();
  const file = path ? await readConfigFile(path, options.plugins) : undefined;
  const env: Environment = { ...file?.env, ...options.env };
  return loadConfig(env, options.plugins, file?.routes, file?.notes);
}
