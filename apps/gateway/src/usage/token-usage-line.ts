import type { UsageRecord } from './usage-record.ts';

/** The api-proxy's `_schema` version rule: `token-usage/v<semver>` (token-persistence.js). */
const SEMVER = /^\d+\.\d+\.\d+(-\w+)?$/;
/** The version the api-proxy writes when its image carries none. */
export const DEV_VERSION = '0.0.0-dev';

/** `token-usage/v<AWF_VERSION>` as the api-proxy writes it; `0.0.0-dev` when unset or not a version. */
export function tokenUsageSchema(awfVersion: string | undefined): string {
  const version = awfVersion?.trim().replace(/^v/, '') ?? '';
  return `token-usage/v${SEMVER.test(version) ? version : DEV_VERSION}`;
}

/**
 * One `token-usage.jsonl` line in the api-proxy's record schema
 * (containers/api-proxy/token-persistence.js `buildTokenUsageRecord`): the
 * same field names, types and order, `provider` being the route's name
 * (`openai`, `anthropic`, `copilot`, ...) as the api-proxy names its providers.
 */
export function tokenUsageLine(record: UsageRecord, schema: string): string {
  return `${JSON.stringify({
    _schema: schema,
    timestamp: new Date(record.endedAt).toISOString(),
    event: 'token_usage',
    request_id: record.requestId,
    provider: record.route,
    model: record.model ?? 'unknown',
    path: record.path,
    status: record.status,
    streaming: record.streaming,
    input_tokens: record.usage.input,
    output_tokens: record.usage.output,
    cache_read_tokens: record.usage.cacheRead,
    cache_write_tokens: record.usage.cacheWrite,
    duration_ms: record.durationMs,
    response_bytes: record.responseBytes,
  })}\n`;
}
