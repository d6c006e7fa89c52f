import type { Dispatcher } from 'undici';
import { assertAgentProxySupported } from './agent-proxy-support.ts';
import { proxyUrlFor } from './egress.ts';
import type { EgressProxy } from './egress.ts';
import { createEgressAgent } from './egress-agent.ts';
import type { PluginEgress } from './plugin.ts';

/**
 * The `AcquireContext.egress` of every exchange: `dispatcher` (the process's
 * egress dispatcher, see `createEgressDispatcher`) for fetch-based hops, and
 * the same `proxy` for SDKs that take a proxy URL or a Node agent. Fails at
 * startup (a ConfigError) when a proxy is set but this Node version's agents
 * would silently go around it.
 */
export function createPluginEgress(
  proxy: EgressProxy,
  dispatcher: Dispatcher,
  nodeVersion: string = process.versions.node,
): PluginEgress {
  assertAgentProxySupported(proxy, 'token exchanges', nodeVersion);
  return Object.freeze({
    dispatcher,
    proxyUrlFor: (target: string | URL) => proxyUrlFor(proxy, target),
    createAgent: (target: string | URL, options?: { keepAlive?: boolean }) =>
      createEgressAgent(proxy, target, options),
  });
}
