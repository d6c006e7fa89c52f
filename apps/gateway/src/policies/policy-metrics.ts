import type { PolicySet } from '@keyless/policies';
import { Gauge, type Registry } from 'prom-client';

/**
 * `keyless_policy_state{policy,reading,route}`: every number a policy reports
 * (budget left, requests in the current windows), read at scrape time.
 */
export function registerPolicyMetrics(registry: Registry, policies: PolicySet): void {
  new Gauge({
    name: 'keyless_policy_state',
    help: 'State of each request policy (e.g. effective_tokens_remaining, requests_last_minute)',
    labelNames: ['policy', 'reading', 'route'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { policy, reading, route, value } of policies.readings()) {
        this.set({ policy, reading, route: route ?? '' }, value);
      }
    },
  });
}
