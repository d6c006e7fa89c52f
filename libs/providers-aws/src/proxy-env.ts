import { configError, readSetting } from '@keyless/auth-core';
import type { Environment, Setting } from '@keyless/auth-core';
import { HTTP_PROXY_SETTING, HTTPS_PROXY_SETTING, NO_PROXY_SETTING } from './aws-settings.ts';

/**
 * The proxy variables handed to Node's agents as `proxyEnv` (the built-in
 * proxy support of `http.Agent`/`https.Agent`, Node >= 22.21), already resolved
 * from the upper- or lower-case spelling. Empty means direct connections.
 */
export interface ProxyEnv {
  readonly HTTPS_PROXY?: string;
  readonly HTTP_PROXY?: string;
  readonly NO_PROXY?: string;
}

/** First Node 22 release whose agents accept `proxyEnv`; older ones ignore it silently. */
const MIN_NODE_22_WITH_AGENT_PROXY: readonly [number, number] = [22, 21];
/** First Node 24 release with the same feature. */
const MIN_NODE_24_WITH_AGENT_PROXY: readonly [number, number] = [24, 5];

/** True when this Node version's `http.Agent` honours the `proxyEnv` option. */
export function agentProxySupported(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= MIN_NODE_22_WITH_AGENT_PROXY[1];
  if (major === 23) return false;
  if (major === 24) return minor >= MIN_NODE_24_WITH_AGENT_PROXY[1];
  return major > 24;
}

/**
 * Reads one proxy variable; the lower-case spelling wins, as in Node and undici.
 * Returns the setting actually read so that errors name that spelling.
 */
function readProxyVariable(env: Environment, setting: Setting): [Setting, string] | undefined {
  const lower: Setting = { ...setting, env: setting.env.toLowerCase() };
  for (const candidate of [lower, setting]) {
    const value = readSetting(env, candidate);
    if (value !== undefined) return [candidate, value];
  }
  return undefined;
}

function readProxyUrl(env: Environment, setting: Setting): string | undefined {
  const found = readProxyVariable(env, setting);
  if (!found) return undefined;
  const [read, value] = found;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The value is never echoed: a proxy URL may carry a password.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw configError(read, 'must be a proxy URL such as http://proxy.internal:3128');
  }
  return value;
}

/**
 * Reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either spelling) from `env`.
 * Throws a ConfigError for a malformed proxy URL, or when a proxy is set but
 * this Node version would silently ignore it.
 */
export function readProxyEnv(env: Environment, nodeVersion?: string): ProxyEnv {
  const https = readProxyUrl(env, HTTPS_PROXY_SETTING);
  const http = readProxyUrl(env, HTTP_PROXY_SETTING);
  const noProxy = readProxyVariable(env, NO_PROXY_SETTING)?.[1];
  if ((https ?? http) !== undefined && !agentProxySupported(nodeVersion)) {
    throw configError(
      https === undefined ? HTTP_PROXY_SETTING : HTTPS_PROXY_SETTING,
      'needs Node.js >= 22.21 (built-in agent proxy support) for the AWS STS call to use the proxy',
    );
  }
  return Object.freeze({
    ...(https === undefined ? {} : { HTTPS_PROXY: https }),
    ...(http === undefined ? {} : { HTTP_PROXY: http }),
    ...(noProxy === undefined ? {} : { NO_PROXY: noProxy }),
  });
}
