import {
  DEFAULT_CREDENTIAL_WAIT_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  LOG_FORMATS,
  configError,
  readSetting,
  type Environment,
  type LogFormat,
  type Setting,
} from '@keyless/auth-core';

export { DEFAULT_CREDENTIAL_WAIT_MS, DEFAULT_UPSTREAM_TIMEOUT_MS };

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MANAGEMENT_PORT = 10009;
/** Bytes. */
export const DEFAULT_BODY_LIMIT = 10_485_760;
/** Time to receive a whole request (headers and body); never limits the response. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Request body bytes held in memory at once across all requests (the sidecar has 512 MiB). */
export const DEFAULT_BUFFER_LIMIT = 64 * 1024 * 1024;
/** How long in-flight requests may run after SIGTERM/SIGINT. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_LOG_FORMAT: LogFormat = 'auto';

const setting = (env: string, description: string, defaultValue?: string | number): Setting => ({
  env,
  description,
  ...(defaultValue === undefined ? {} : { default: String(defaultValue) }),
});

/** The gateway's own settings (the routes' settings live in the route table). */
export const GATEWAY_SETTINGS = {
  host: setting('KEYLESS_HOST', 'Bind address of every listener', DEFAULT_HOST),
  managementPort: setting(
    'KEYLESS_MANAGEMENT_PORT',
    'Port of /healthz, /readyz and /metrics',
    DEFAULT_MANAGEMENT_PORT,
  ),
  bodyLimit: setting(
    'KEYLESS_BODY_LIMIT',
    'Largest request body in bytes (413 beyond)',
    DEFAULT_BODY_LIMIT,
  ),
  requestTimeoutMs: setting(
    'KEYLESS_REQUEST_TIMEOUT_MS',
    'Time to receive a whole request (headers and body), ms; never limits the response (408 beyond)',
    DEFAULT_REQUEST_TIMEOUT_MS,
  ),
  bufferLimit: setting(
    'KEYLESS_BUFFER_LIMIT',
    'Request body bytes held in memory at once across all requests (503 overloaded beyond)',
    DEFAULT_BUFFER_LIMIT,
  ),
  upstreamTimeoutMs: setting(
    'KEYLESS_UPSTREAM_TIMEOUT_MS',
    'Upstream headers and body timeout, ms',
    DEFAULT_UPSTREAM_TIMEOUT_MS,
  ),
  credentialWaitMs: setting(
    'KEYLESS_CREDENTIAL_WAIT_MS',
    'How long a request waits for a credential before 503, ms',
    DEFAULT_CREDENTIAL_WAIT_MS,
  ),
  shutdownGraceMs: setting(
    'KEYLESS_SHUTDOWN_GRACE_MS',
    'How long in-flight requests may finish after SIGTERM, ms',
    DEFAULT_SHUTDOWN_GRACE_MS,
  ),
  shutdownGraceAlias: setting(
    'AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS',
    "The api-proxy's name for KEYLESS_SHUTDOWN_GRACE_MS, used when that is unset",
  ),
  clientKey: setting(
    'KEYLESS_CLIENT_KEY',
    'When set, clients must present exactly this key; it is replaced by the real credential',
  ),
  logLevel: setting('KEYLESS_LOG_LEVEL', 'pino log level', DEFAULT_LOG_LEVEL),
  logFormat: setting(
    'KEYLESS_LOG_FORMAT',
    '`json` (one JSON object a line), `pretty` (pino-pretty, for people) or `auto` (pretty when stdout is a terminal, else JSON)',
    DEFAULT_LOG_FORMAT,
  ),
  config: setting(
    'KEYLESS_CONFIG',
    'Path of a YAML config file (workflow `engine:` block or `routes:` list)',
  ),
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A whole number in [min, max], or the default. */
export function readInteger(
  env: Environment,
  s: Setting,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = readSetting(env, s);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(
      s,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** A TCP port (1..65535), or 0 for one the system picks (tests and side-by-side runs never race for it). */
export function readPort(env: Environment, s: Setting, fallback: number): number {
  return readInteger(env, s, fallback, 0, 65_535);
}

/** The log level, validated. */
export function readLogLevel(env: Environment): string {
  const level = readSetting(env, GATEWAY_SETTINGS.logLevel)?.toLowerCase() ?? DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.includes(level)) {
    throw configError(GATEWAY_SETTINGS.logLevel, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

/** The log format, validated (`auto` is resolved by the logger, which knows its destination). */
export function readLogFormat(env: Environment): LogFormat {
  const raw = readSetting(env, GATEWAY_SETTINGS.logFormat);
  if (raw === undefined) return DEFAULT_LOG_FORMAT;
  const format = LOG_FORMATS.find((known) => known === raw.toLowerCase());
  if (!format) {
    throw configError(
      GATEWAY_SETTINGS.logFormat,
      `must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return format;
}
