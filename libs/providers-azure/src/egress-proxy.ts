import { configError, type Environment, type Setting } from '@keyless/auth-core';

/*
 * What @azure/identity 4.14 does on its own: its pipeline's proxyPolicy reads HTTPS_PROXY, ALL_PROXY,
 * HTTP_PROXY (either case) from process.env, and NO_PROXY only once per process, matching exact hosts
 * and `.suffix` entries (no `*`, no `host:port`, no bare-domain suffix). The plugin resolves the proxy
 * itself from the configuration it was given, with the NO_PROXY rules of undici's EnvHttpProxyAgent
 * (auth-core's createEgressDispatcher, used for upstreams), and hands the SDK an explicit agent, which its proxyPolicy
 * then leaves alone.
 */

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** `HTTPS_PROXY` (or `https_proxy`): proxy for https egress; falls back to HTTP_PROXY like undici. */
export const HTTPS_PROXY: Setting = Object.freeze({
  env: 'HTTPS_PROXY',
  description: 'Proxy URL for https egress (also read as https_proxy)',
});

/** `HTTP_PROXY` (or `http_proxy`): proxy for http egress, and for https when HTTPS_PROXY is unset. */
export const HTTP_PROXY: Setting = Object.freeze({
  env: 'HTTP_PROXY',
  description:
    'Proxy URL for http egress, and https when HTTPS_PROXY is unset (also read as http_proxy)',
});

/** `NO_PROXY` (or `no_proxy`): hosts reached directly; `*`, `host`, `.domain`, `*.domain`, `host:port`. */
export const NO_PROXY: Setting = Object.freeze({
  env: 'NO_PROXY',
  description: 'Comma-separated hosts that bypass the proxy (also read as no_proxy)',
});

/**
 * The proxy URL that egress to `target` must use according to `env`, or undefined for a direct
 * connection. Lower-case variables win over upper-case ones, as in undici. Throws a ConfigError
 * when the proxy variable that applies is not a usable URL.
 */
export function resolveProxy(env: Environment, target: URL): string | undefined {
  const hostname = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  if (bypassesProxy(read(env, NO_PROXY) ?? '', hostname, port)) return undefined;

  const https = target.protocol === 'https:' ? read(env, HTTPS_PROXY) : undefined;
  const setting = https === undefined ? HTTP_PROXY : HTTPS_PROXY;
  const value = https ?? read(env, HTTP_PROXY);
  return value === undefined ? undefined : proxyUrl(setting, value);
}

/** Lower case wins, as in undici and auth-core's egress dispatcher; empty counts as unset. */
function read(env: Environment, setting: Setting): string | undefined {
  return env[setting.env.toLowerCase()]?.trim() || env[setting.env]?.trim() || undefined;
}

/** Validates a proxy value; a bare `host:port` means http, as curl reads it. */
function proxyUrl(setting: Setting, value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw configError(setting, 'is not a URL (expected e.g. http://proxy.example:3128)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(
      setting,
      `has unsupported scheme ${url.protocol} (expected http:// or https://)`,
    );
  }
  return url.href;
}

/** NO_PROXY matching as undici's EnvHttpProxyAgent does it: exact host or any subdomain, optional port. */
function bypassesProxy(noProxy: string, hostname: string, port: number): boolean {
  if (noProxy === '*') return true;
  return noProxy.split(/[,\s]/).some((entry) => {
    if (!entry) return false;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
    if (entryPort && entryPort !== port) return false;
    return hostname === host || hostname.endsWith(`.${host}`);
  });
}
