import { validateHeaderName, validateHeaderValue } from 'node:http';
import { ConfigError, type Environment } from '@keyless/auth-core';

const VARIABLE = 'AWF_BYOK_EXTRA_HEADERS';

/**
 * Header names an operator may not set: credentials (the gateway owns them),
 * and headers that frame or route the request.
 */
const FORBIDDEN = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'forwarded',
  'via',
]);
const FORBIDDEN_PREFIXES = ['x-amz-', 'amz-sdk-', 'x-forwarded-', 'proxy-'];

/**
 * AWF_BYOK_EXTRA_HEADERS: a JSON object of string headers (names lowercased)
 * set on every upstream request of the BYOK copilot route. Unlike the
 * api-proxy, which skips bad entries with a warning, every bad entry is a
 * startup error: an operator who set a header expects it to be sent.
 */
export function byokExtraHeaders(env: Environment): Record<string, string> {
  const raw = env[VARIABLE]?.trim();
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      `${VARIABLE}: not valid JSON; expected an object of header names to string values`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${VARIABLE}: expected a JSON object of header names to string values`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const lower = name.toLowerCase();
    try {
      validateHeaderName(name);
    } catch {
      throw new ConfigError(`${VARIABLE}: ${JSON.stringify(name)} is not a valid header name`);
    }
    if (FORBIDDEN.has(lower) || FORBIDDEN_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
      throw new ConfigError(
        `${VARIABLE}: ${name} cannot be set (credential, proxy and framing headers belong to the gateway)`,
      );
    }
    if (typeof value !== 'string') {
      throw new ConfigError(`${VARIABLE}: the value of ${name} must be a string`);
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      throw new ConfigError(
        `${VARIABLE}: the value of ${name} contains characters a header cannot carry`,
      );
    }
    headers[lower] = value;
  }
  return headers;
}
