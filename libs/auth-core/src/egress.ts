import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import { configError, readSetting } from './settings.ts';
import type { Environment, Setting } from './settings.ts';

/** Default headers and body timeout of upstream requests, ms: slow model calls are normal. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 600_000;

/** `HTTPS_PROXY` (`https_proxy` wins when both are set): proxy for https:// egress. */
export const HTTPS_PROXY: Setting = Object.freeze({
  env: 'HTTPS_PROXY',
  description:
    'Proxy URL for https:// egress (upstreams, WebSockets, token exchanges); HTTP_PROXY when unset; `https_proxy` wins over it',
});

/** `HTTP_PROXY` (`http_proxy` wins): proxy for http:// egress, and https:// when HTTPS_PROXY is unset. */
export const HTTP_PROXY: Setting = Object.freeze({
  env: 'HTTP_PROXY',
  description:
    'Proxy URL for http:// egress, and for https:// when HTTPS_PROXY is unset; `http_proxy` wins over it',
});

/** `NO_PROXY` (`no_proxy` wins): hosts reached directly. */
export const NO_PROXY: Setting = Object.freeze({
  env: 'NO_PROXY',
  description:
    'Hosts reached directly, separated by commas or spaces: `host` (also its subdomains), `.domain`, `*.domain`, `host:port`, or `*` for all; no CIDR ranges; `no_proxy` wins over it',
});

/** The egress proxy settings, in reference order. */
export const EGRESS_PROXY_SETTINGS: readonly Setting[] = Object.freeze([
  HTTPS_PROXY,
  HTTP_PROXY,
  NO_PROXY,
]);

/**
 * The egress proxy of one process, parsed once from the configuration so that
 * a config file's `engine.env` applies and nothing reads `process.env` later.
 * Absent fields mean "not set".
 */
export interface EgressProxy {
  /** Proxy URL (normalized href) for http:// targets. */
  readonly httpProxy?: string;
  /** Proxy URL (normalized href) for https:// targets; falls back to `httpProxy`. */
  readonly httpsProxy?: string;
  /** NO_PROXY list as written (undici's rules, see `proxyUrlFor`). */
  readonly noProxy?: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80,
  'https:': 443,
  'ws:': 80,
  'wss:': 443,
};

/** The lower-case spelling wins when both are set, as in undici and curl; returns the spelling read, for errors. */
function readEither(env: Environment, upper: Setting): [Setting, string] | undefined {
  for (const candidate of [{ ...upper, env: upper.env.toLowerCase() }, upper]) {
    const value = readSetting(env, candidate);
    if (value !== undefined) return [candidate, value];
  }
  return undefined;
}

function readProxyUrl(env: Environment, upper: Setting): string | undefined {
  const found = readEither(env, upper);
  if (found === undefined) return undefined;
  const [read, value] = found;
  // A bare `host:port` means http://, as curl reads it.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const url = URL.parse(withScheme);
  // Never echo the value: a proxy URL may carry a password.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw configError(
      read,
      'must be an http:// or https:// proxy URL such as http://proxy.example:3128',
    );
  }
  return url.href;
}

/**
 * Reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either spelling; empty counts as
 * unset) into a frozen value. Throws a ConfigError naming the variable, never
 * its value, when a proxy is not an http(s) URL.
 */
export function parseEgressProxy(env: Environment): EgressProxy {
  const httpProxy = readProxyUrl(env, HTTP_PROXY);
  const httpsProxy = readProxyUrl(env, HTTPS_PROXY);
  const noProxy = readEither(env, NO_PROXY)?.[1];
  return Object.freeze({
    ...(httpProxy === undefined ? {} : { httpProxy }),
    ...(httpsProxy === undefined ? {} : { httpsProxy }),
    ...(noProxy === undefined ? {} : { noProxy }),
  });
}

/** Passwords embedded in the proxy URLs, as written and decoded: register them for redaction. */
export function egressProxySecrets(proxy: EgressProxy): string[] {
  const secrets = new Set<string>();
  for (const href of [proxy.httpProxy, proxy.httpsProxy]) {
    const password = href === undefined ? '' : (URL.parse(href)?.password ?? '');
    if (!password) continue;
    secrets.add(password);
    try {
      secrets.add(decodeURIComponent(password));
    } catch {
      // A stray `%` that is not an escape: the value as written is all there is.
    }
  }
  return [...secrets];
}

/**
 * The proxy URL that a connection to `target` must use, or undefined for a
 * direct one: the decision undici's EnvHttpProxyAgent makes, for clients that
 * take a Node agent instead of a dispatcher.
 *
 * NO_PROXY: entries separated by commas or spaces, each a host name that also
 * matches its subdomains (`example.com`, `.example.com` and `*.example.com` are
 * the same), optionally with `:port`; `*` alone means everything. Entries are
 * compared as strings: no CIDR ranges, `localhost` does not cover `127.0.0.1`,
 * IPv6 as `[::1]`. https:// (and wss://) targets use HTTPS_PROXY, else
 * HTTP_PROXY; others use HTTP_PROXY.
 */
export function proxyUrlFor(proxy: EgressProxy, target: string | URL): string | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const proxyUrl = secure ? (proxy.httpsProxy ?? proxy.httpProxy) : proxy.httpProxy;
  if (proxyUrl === undefined) return undefined;
  // `host` keeps IPv6 brackets, as undici compares it.
  const hostname = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
  return bypassesProxy(proxy.noProxy ?? '', hostname, port) ? undefined : proxyUrl;
}

/** undici's NO_PROXY matching (EnvHttpProxyAgent, undici 7). */
function bypassesProxy(noProxy: string, hostname: string, port: number): boolean {
  if (noProxy === '*') return true;
  return noProxy.split(/[,\s]/).some((entry) => {
    if (!entry) return false;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] === undefined ? 0 : Number.parseInt(parsed[2], 10);
    if (entryPort && entryPort !== port) return false;
    return hostname === host || hostname.endsWith(`.${host}`);
  });
}

/** Options of `createEgressDispatcher`. */
export interface EgressOptions {
  /** The parsed proxy; default none (direct), never `process.env`. */
  proxy?: EgressProxy;
  /** Headers and body timeout, ms. */
  timeoutMs?: number;
}

/**
 * An undici dispatcher for every outbound connection: TLS verification on
 * (extra CAs via NODE_EXTRA_CA_CERTS, which Node's default store honours),
 * egress through the given proxy with undici's NO_PROXY rules (see
 * `proxyUrlFor`), long timeouts. Proxies are reached with CONNECT for http and
 * https targets alike.
 */
export function createEgressDispatcher(options: EgressOptions = {}): Dispatcher {
  const proxy = options.proxy ?? {};
  const timeout = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  // Verification is Node's default; stated explicitly so that no option can turn it off unseen.
  const tls = { rejectUnauthorized: true };
  return new EnvHttpProxyAgent({
    // Always strings: undici would read process.env itself for an undefined value.
    httpProxy: proxy.httpProxy ?? '',
    httpsProxy: proxy.httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: tls,
    requestTls: tls,
    proxyTls: tls,
  });
}
