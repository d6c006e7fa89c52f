import { PolicySet, type ConfiguredPolicy, type PolicyReport } from '@keyless/policies';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createPolicyHook, type PolicyHook } from './policy-hook.ts';
import { registerPolicyMetrics } from './policy-metrics.ts';

/** The live request policies of a gateway. */
export interface RunningPolicies {
  /** For `RouteServerDeps.hooks`; its `usageSink` goes to the usage accounting. */
  readonly hook: PolicyHook;
  /** Each policy's state, for `/readyz`. */
  report(): PolicyReport[];
}

/** Creates the configured policies with the process clock and logger, and registers their gauges. */
export function startPolicies(
  configured: readonly ConfiguredPolicy[],
  logger: Logger,
  registry: Registry,
): RunningPolicies {
  const policies = new PolicySet(configured, {
    now: Date.now,
    log: (level, event, fields, message) => logger[level]({ ...fields, event }, message),
  });
  registerPolicyMetrics(registry, policies);
  logger.info({ event: 'gateway.policies', policies: policies.names }, 'request policies');
  return { hook: createPolicyHook(policies), report: () => policies.report() };
}
