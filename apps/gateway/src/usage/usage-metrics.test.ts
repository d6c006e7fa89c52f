import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createUsageMetrics, MAX_MODELS_PER_ROUTE } from './usage-metrics.ts';
import type { UsageRecord } from './usage-record.ts';

const RECORD: UsageRecord = {
  requestId: 'r',
  route: 'bedrock',
  flavor: 'bedrock',
  model: 'us.anthropic.claude-x-v1:0',
  path: '/model/x/converse',
  status: 200,
  streaming: false,
  usage: { input: 30, output: 7, cacheRead: 5, cacheWrite: 2 },
  reported: true,
  durationMs: 1,
  responseBytes: 1,
  endedAt: 0,
};

describe('usage metrics', () => {
  it('count tokens by route, provider, model and kind, and requests by model', async () => {
    const registry = new Registry();
    const record = createUsageMetrics(registry);
    record(RECORD);
    record(RECORD);
    const text = await registry.metrics();
    const labels = 'route="bedrock",provider="bedrock",model="us.anthropic.claude-x-v1:0"';
    expect(text).toContain(`keyless_tokens_total{${labels},kind="input"} 60`);
    expect(text).toContain(`keyless_tokens_total{${labels},kind="output"} 14`);
    expect(text).toContain(`keyless_tokens_total{${labels},kind="cache_read"} 10`);
    expect(text).toContain(`keyless_tokens_total{${labels},kind="cache_write"} 4`);
    expect(text).toContain(`keyless_model_requests_total{${labels}} 2`);
  });

  it('bounds the model labels of a route', async () => {
    const registry = new Registry();
    const record = createUsageMetrics(registry);
    for (let n = 0; n < MAX_MODELS_PER_ROUTE + 10; n++) record({ ...RECORD, model: `m${n}` });
    record({ ...RECORD, model: undefined });
    const text = await registry.metrics();
    const models = new Set(
      [...text.matchAll(/keyless_model_requests_total\{[^}]*model="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(models.size).toBe(MAX_MODELS_PER_ROUTE + 1);
    expect(text).toContain('model="other"} 11');
  });
});
