import type { Environment } from '@keyless/auth-core';
import { tokenUsageSchema } from './token-usage-line.ts';

/** Usage accounting settings, read once at startup. */
export interface UsageSettings {
  /** AWF_TOKEN_LOG_DIR: where `token-usage.jsonl` is appended; undefined writes none. */
  readonly tokenLogDir: string | undefined;
  /** The records' `_schema`, from AWF_VERSION as the api-proxy builds it. */
  readonly schema: string;
}

/** The usage settings of `env` (the sidecar image sets AWF_TOKEN_LOG_DIR=/var/log/api-proxy). */
export function readUsageSettings(env: Environment): UsageSettings {
  return {
    tokenLogDir: env.AWF_TOKEN_LOG_DIR?.trim() || undefined,
    schema: tokenUsageSchema(env.AWF_VERSION),
  };
}
