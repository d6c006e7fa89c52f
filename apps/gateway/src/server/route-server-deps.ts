import type { CredentialMetrics, EgressProxy, Redactor } from '@keyless/auth-core';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { BodyBudget } from '../proxy/body-budget.ts';
import type { RequestHook } from '../proxy/request-hooks.ts';
import type { RequestTracing } from '../telemetry/request-tracing.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';

/** What every route server shares. */
export interface RouteServerDeps {
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** Egress dispatcher: TLS verification on, proxy environment honoured. */
  readonly dispatcher: Dispatcher;
  readonly metrics: GatewayMetrics;
  readonly credentialMetrics: CredentialMetrics;
  /** Largest request body, bytes. */
  readonly bodyLimit: number;
  /** Request body bytes held at once across every route. */
  readonly bodyBudget: BodyBudget;
  /** Time to receive a whole request, ms. */
  readonly requestTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly clientKey: string | undefined;
  /** The configured egress proxy (WebSocket upgrades need it as an agent). */
  readonly egress: EgressProxy;
  /** Request policies and usage accounting, run for every proxied request in order. */
  readonly hooks: readonly RequestHook[];
  /** OpenTelemetry request tracing; absent when tracing is off. */
  readonly tracing?: RequestTracing;
}
