import { describe, expect, it } from 'vitest';
import { tokenUsageLine, tokenUsageSchema } from './token-usage-line.ts';
import type { UsageRecord } from './usage-record.ts';

const RECORD: UsageRecord = {
  requestId: 'req-1',
  route: 'anthropic',
  flavor: 'anthropic',
  model: 'claude-sonnet-4-5',
  path: '/v1/messages',
  status: 200,
  streaming: true,
  usage: { input: 12, output: 15, cacheRead: 2000, cacheWrite: 100 },
  reported: true,
  durationMs: 842,
  responseBytes: 4096,
  endedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
};

/** The api-proxy's validateTokenUsageRecord (token-persistence.js): required fields and their types. */
const REQUIRED: [string, string][] = [
  ['_schema', 'string'],
  ['timestamp', 'string'],
  ['event', 'string'],
  ['request_id', 'string'],
  ['provider', 'string'],
  ['model', 'string'],
  ['path', 'string'],
  ['status', 'number'],
  ['streaming', 'boolean'],
  ['input_tokens', 'number'],
  ['output_tokens', 'number'],
  ['cache_read_tokens', 'number'],
  ['cache_write_tokens', 'number'],
  ['duration_ms', 'number'],
];

describe('tokenUsageLine', () => {
  it('is one JSON line in the api-proxy record schema, field by field', () => {
    const line = tokenUsageLine(RECORD, tokenUsageSchema('0.25.3'));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    for (const [field, type] of REQUIRED) expect(typeof parsed[field], field).toBe(type);
    expect(parsed._schema).toMatch(/^token-usage\/v\d+\.\d+\.\d+(-\w+)?$/);
    expect(parsed).toEqual({
      _schema: 'token-usage/v0.25.3',
      timestamp: '2026-01-02T03:04:05.678Z',
      event: 'token_usage',
      request_id: 'req-1',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      path: '/v1/messages',
      status: 200,
      streaming: true,
      input_tokens: 12,
      output_tokens: 15,
      cache_read_tokens: 2000,
      cache_write_tokens: 100,
      duration_ms: 842,
      response_bytes: 4096,
    });
    // The api-proxy's own field order.
    expect(Object.keys(parsed)).toEqual([...REQUIRED.map(([field]) => field), 'response_bytes']);
  });

  it('names an unknown model `unknown`, as the api-proxy does', () => {
    const parsed = JSON.parse(
      tokenUsageLine({ ...RECORD, model: undefined }, 'token-usage/v0.0.0-dev'),
    );
    expect(parsed.model).toBe('unknown');
  });
});

describe('tokenUsageSchema', () => {
  it('takes AWF_VERSION, with or without a leading v, else 0.0.0-dev', () => {
    expect(tokenUsageSchema('1.2.3')).toBe('token-usage/v1.2.3');
    expect(tokenUsageSchema('v1.2.3-rc1')).toBe('token-usage/v1.2.3-rc1');
    expect(tokenUsageSchema(undefined)).toBe('token-usage/v0.0.0-dev');
    expect(tokenUsageSchema('latest')).toBe('token-usage/v0.0.0-dev');
  });
});
