import { configError, readSetting, type Environment, type Setting } from '@keyless/auth-core';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * Egress proxy settings for the token exchanges, read from the configuration
 * (not from `process.env` at request time) so that a config file's `engine.env`
 * applies too.
 *
 * What google-auth-library does by default: every call goes through gaxios,
 * which reads `HTTPS_PROXY`/`HTTP_PROXY` from `process.env` per request (one
 * proxy for every scheme, via https-proxy-agent) and only understands exact or
 * `.suffix` NO_PROXY entries (no ports, no `*`). The STS hop uses a private
 * gaxios instance that no client option reaches. We therefore give both hops a
 * gaxios whose fetch is undici's with an `EnvHttpProxyAgent` built from these
 * values: the same proxy semantics as the gateway's upstream traffic
 * (`HTTP_PROXY` for http://, `HTTPS_PROXY` for https://, NO_PROXY with ports and `*`).
 */
export interface EgressConfig {
  /** Proxy URL for http:// endpoints. */
  readonly httpProxy: string | undefined;
  /** Proxy URL for https:// endpoints (falls back to `httpProxy`, as in undici). */
  readonly httpsProxy: string | undefined;
  /** Comma or space separated hosts (optionally `:port`, `.suffix`, `*`) that bypass the proxy. */
  readonly noProxy: string | undefined;
}

const setting = (env: string, description: string): Setting => ({ env, description });

/** `HTTPS_PROXY` (also read as `https_proxy`, which wins like in undici). */
export const HTTPS_PROXY_SETTING = setting('HTTPS_PROXY', 'Proxy for https:// egress (token exchanges and upstreams)');
/** `HTTP_PROXY` (also read as `http_proxy`). */
export const HTTP_PROXY_SETTING = setting('HTTP_PROXY', 'Proxy for http:// egress; also https:// when HTTPS_PROXY is unset');
/** `NO_PROXY` (also read as `no_proxy`). */
export const NO_PROXY_SETTING = setting('NO_PROXY', 'Hosts that bypass the egress proxy');

/** The lower-case spelling wins when both are set, as in undici and curl. */
function readEither(env: Environment, upper: Setting): { value: string; setting: Setting } | undefined {
  for (const candidate of [setting(upper.env.toLowerCase(), upper.description), upper]) {
    const value = readSetting(env, candidate);
    if (value !== undefined) return { value, setting: candidate };
  }
  return undefined;
}

function readProxy(env: Environment, upper: Setting): string | undefined {
  const found = readEither(env, upper);
  if (!found) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(found.value);
  } catch {
    url = undefined;
  }
  // Never echo the value: proxy URLs may carry credentials.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw configError(found.setting, 'must be a proxy URL such as http://proxy.example:3128');
  }
  return found.value;
}

/** Reads the egress proxy variables from `env` into a frozen value. */
export function parseEgress(env: Environment): EgressConfig {
  return Object.freeze({
    httpProxy: readProxy(env, HTTP_PROXY_SETTING),
    httpsProxy: readProxy(env, HTTPS_PROXY_SETTING),
    noProxy: readEither(env, NO_PROXY_SETTING)?.value,
  });
}

/**
 * A dispatcher that sends each request through the configured proxy or
 * directly. Empty strings stop undici from falling back to `process.env`.
 */
export function createEgressDispatcher(egress: EgressConfig): Dispatcher {
  return new EnvHttpProxyAgent({
    httpProxy: egress.httpProxy ?? '',
    httpsProxy: egress.httpsProxy ?? '',
    noProxy: egress.noProxy ?? '',
  });
}

/** Credentials embedded in the proxy URLs (to register for redaction). */
export function egressSecrets(egress: EgressConfig): string[] {
  const secrets: string[] = [];
  for (const proxy of [egress.httpProxy, egress.httpsProxy]) {
    if (!proxy) continue;
    const { password } = new URL(proxy);
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return secrets;
}
