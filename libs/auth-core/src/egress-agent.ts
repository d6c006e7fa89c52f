import http from 'node:http';
import https from 'node:https';
import { proxyUrlFor } from './egress.ts';
import type { EgressProxy } from './egress.ts';

/** Options of `createEgressAgent`. */
export interface EgressAgentOptions {
  /** Keep connections open between requests; default false (one-shot clients). */
  keepAlive?: boolean;
}

/** `proxyEnv` exists since Node 22.21 / 24.5 (see `assertAgentProxySupported`); @types/node 22 does not declare it. */
type ProxyAgentOptions = http.AgentOptions & { proxyEnv: Record<string, string> };

/**
 * A Node agent for connections to `target`'s scheme (an https.Agent for
 * https:// and wss://), for clients that take an agent instead of a dispatcher:
 * through the proxy `proxyUrlFor` picks for `target`, else direct. Node's own
 * proxy support does the CONNECT tunnel (https) or absolute-form requests
 * (http); TLS is verified against the target with Node's store
 * (NODE_EXTRA_CA_CERTS included). The caller destroys the agent.
 */
export function createEgressAgent(
  proxy: EgressProxy,
  target: string | URL,
  options: EgressAgentOptions = {},
): http.Agent {
  const url = typeof target === 'string' ? new URL(target) : target;
  const proxyUrl = proxyUrlFor(proxy, url);
  // The NO_PROXY decision is made here, with undici's rules: Node's own matching differs, so the
  // agent gets the one proxy or none. An empty `proxyEnv` also keeps NODE_USE_ENV_PROXY out of it.
  const proxyEnv: Record<string, string> =
    proxyUrl === undefined ? {} : { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl };
  const agentOptions: ProxyAgentOptions = { keepAlive: options.keepAlive ?? false, proxyEnv };
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
}
