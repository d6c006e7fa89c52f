import { HTTP_PROXY, HTTPS_PROXY, type EgressProxy } from './egress.ts';
import { configError } from './settings.ts';

/** First Node 22 release whose agents accept `proxyEnv`; older ones ignore it silently. */
const MIN_NODE_22_MINOR = 21;
/** First Node 24 release with the same feature. */
const MIN_NODE_24_MINOR = 5;

/** True when this Node version's `http.Agent` honours the `proxyEnv` option (22.21+, 24.5+). */
export function agentProxySupported(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= MIN_NODE_22_MINOR;
  if (major === 23) return false;
  if (major === 24) return minor >= MIN_NODE_24_MINOR;
  return major > 24;
}

/**
 * Fails at startup when a proxy is configured but this Node version would
 * silently send `purpose` (traffic over Node's own agents with `proxyEnv`) around it.
 */
export function assertAgentProxySupported(
  egress: EgressProxy,
  purpose: string,
  nodeVersion: string = process.versions.node,
): void {
  if (egress.httpsProxy === undefined && egress.httpProxy === undefined) return;
  if (agentProxySupported(nodeVersion)) return;
  throw configError(
    egress.httpsProxy === undefined ? HTTP_PROXY : HTTPS_PROXY,
    `needs Node.js >= 22.21 (built-in agent proxy support) for ${purpose} to use the proxy`,
  );
}
