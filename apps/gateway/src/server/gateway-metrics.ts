import { Counter, Histogram, type Registry } from 'prom-client';

/** Request-path metrics of the gateway (credential and replay metrics come from auth-core). */
export interface GatewayMetrics {
  readonly requests: Counter<'route' | 'status'>;
  /** Seconds from sending upstream to the upstream's response headers. */
  readonly upstreamLatency: Histogram<'route'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    requests: new Counter({
      name: 'keyless_requests_total',
      help: 'Requests answered, by route and HTTP status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'keyless_upstream_latency_seconds',
      help: 'Time to the upstream response headers',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
  };
}
