import { Counter, type Registry } from 'prom-client';
import type { TokenKind } from '@keyless/usage';
import type { UsageSink } from './usage-record.ts';

/** Distinct model labels per route at most; later ones count as `other` (a client names models freely). */
export const MAX_MODELS_PER_ROUTE = 50;

/** The `kind` label of each token kind. */
const KIND_LABELS: Readonly<Record<TokenKind, string>> = {
  input: 'input',
  output: 'output',
  cacheRead: 'cache_read',
  cacheWrite: 'cache_write',
};

/**
 * Prometheus usage metrics on the gateway's registry, as a usage sink:
 * `keyless_tokens_total{route,provider,model,kind}` and
 * `keyless_model_requests_total{route,provider,model}`. `provider` is the
 * route's wire flavor (a `copilot` route may speak several).
 */
export function createUsageMetrics(registry: Registry): UsageSink {
  const tokens = new Counter({
    name: 'keyless_tokens_total',
    help: 'Tokens the upstreams reported, by route, provider (wire flavor), model and kind (input, output, cache_read, cache_write)',
    labelNames: ['route', 'provider', 'model', 'kind'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'keyless_model_requests_total',
    help: 'Model calls answered successfully, by route, provider (wire flavor) and model',
    labelNames: ['route', 'provider', 'model'],
    registers: [registry],
  });
  const models = new Map<string, Set<string>>();
  const modelLabel = (route: string, model: string | undefined): string => {
    const name = model ?? 'unknown';
    let seen = models.get(route);
    if (!seen) models.set(route, (seen = new Set()));
    if (seen.has(name)) return name;
    if (seen.size >= MAX_MODELS_PER_ROUTE) return 'other';
    seen.add(name);
    return name;
  };
  return (record) => {
    const labels = {
      route: record.route,
      provider: record.flavor,
      model: modelLabel(record.route, record.model),
    };
    requests.inc(labels);
    for (const [kind, label] of Object.entries(KIND_LABELS) as [TokenKind, string][]) {
      tokens.inc({ ...labels, kind: label }, record.usage[kind]);
    }
  };
}
