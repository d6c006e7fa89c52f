import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import type { Environment } from './settings.ts';

/** Default headers and body timeout of upstream requests, ms: slow model calls are normal. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 600_000;

/** Options of `createEgressDispatcher`. */
export interface EgressOptions {
  /** headers and body timeout, ms */
  timeoutMs?: number;
  /** Proxy variables (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, upper and lower case); default process.env. */
  env?: Environment;
}

/** Lower case wins (curl's convention, and undici's); empty counts as unset. */
function proxyVariable(env: Environment, name: string): string {
  return env[name.toLowerCase()]?.trim() || env[name]?.trim() || '';
}

/**
 * An undici dispatcher for every outbound connection: TLS verification on (extra CAs via NODE_EXTRA_CA_CERTS, which Node's default store honours), egress through HTTPS_PROXY/HTTP_PROXY/NO_PROXY (undici EnvHttpProxyAgent), long timeouts.
 *
 * NO_PROXY follows undici: comma or space separated host names, each also
 * matching its subdomains (`example.com`, `.example.com`, `*.example.com`),
 * optionally with `:port`, or `*` for everything. Entries are compared as
 * strings: no CIDR ranges, `localhost` does not cover `127.0.0.1`, and loopback
 * is proxied unless listed (IPv6 as `[::1]`). HTTPS_PROXY falls back to
 * HTTP_PROXY; proxies are reached with CONNECT for http and https targets alike.
 */
export function createEgressDispatcher(options: EgressOptions = {}): Dispatcher {
  const env = options.env ?? process.env;
  const timeout = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  // Verification is Node's default; stated explicitly because reply-from's own agent turns it off.
  const tls = { rejectUnauthorized: true };
  return new EnvHttpProxyAgent({
    // Always strings: undici would read process.env itself for an undefined value.
    httpProxy: proxyVariable(env, 'HTTP_PROXY'),
    httpsProxy: proxyVariable(env, 'HTTPS_PROXY'),
    noProxy: proxyVariable(env, 'NO_PROXY'),
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: tls,
    requestTls: tls,
    proxyTls: tls,
  });
}
