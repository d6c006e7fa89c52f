import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CredentialStatus } from './route-credential.ts';

/** Outcome label of exchanges and hops. */
export type ExchangeResult = 'success' | 'failure';

/** Bucket bounds of the hop duration histogram, s: exchanges take tens of ms to a few s. */
export const EXCHANGE_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The credential metrics of SPEC section 8. Label values are names, never secrets. */
export interface CredentialMetrics {
  /** Exposes `keyless_credential_expiry_seconds{route,provider}` for this route, computed at each scrape. */
  trackExpiry(
    route: string,
    credential: { readonly provider: string; status(): CredentialStatus },
  ): void;
  /** Counts one exchange in `keyless_credential_refreshes_total{provider,result}`. */
  recordRefresh(provider: string, result: ExchangeResult): void;
  /** Observes one hop in `keyless_credential_exchange_duration_seconds{provider,hop,result}`. */
  recordHop(provider: string, hop: string, seconds: number, result: ExchangeResult): void;
  /** Counts one request replayed after an upstream rejection in `keyless_replays_total{route,provider}`. */
  recordReplay(route: string, provider: string): void;
}

/** Registers the credential metrics in `registry`; call once per registry. `now` is a ms epoch clock. */
export function createCredentialMetrics(
  registry: Registry,
  now: () => number = () => Date.now(),
): CredentialMetrics {
  const tracked = new Map<string, { readonly provider: string; status(): CredentialStatus }>();
  new Gauge({
    name: 'keyless_credential_expiry_seconds',
    help: 'Seconds until the credential a route serves expires (absent for credentials that never expire)',
    labelNames: ['route', 'provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, credential] of tracked) {
        const { expiresAt } = credential.status();
        if (expiresAt === undefined) continue;
        this.set({ route, provider: credential.provider }, Math.max(0, (expiresAt - now()) / 1000));
      }
    },
  });
  const refreshes = new Counter({
    name: 'keyless_credential_refreshes_total',
    help: 'Credential exchanges (acquisitions and refreshes) by result',
    labelNames: ['provider', 'result'],
    registers: [registry],
  });
  const hops = new Histogram({
    name: 'keyless_credential_exchange_duration_seconds',
    help: 'Duration of each exchange hop (e.g. github-oidc, then the provider token service)',
    labelNames: ['provider', 'hop', 'result'],
    buckets: EXCHANGE_DURATION_BUCKETS,
    registers: [registry],
  });
  const replays = new Counter({
    name: 'keyless_replays_total',
    help: 'Requests replayed once with a renewed credential after the upstream rejected the first',
    labelNames: ['route', 'provider'],
    registers: [registry],
  });
  return {
    trackExpiry(route, credential) {
      tracked.set(route, credential);
    },
    recordRefresh(provider, result) {
      refreshes.inc({ provider, result });
    },
    recordHop(provider, hop, seconds, result) {
      hops.observe({ provider, hop, result }, seconds);
    },
    recordReplay(route, provider) {
      replays.inc({ route, provider });
    },
  };
}
