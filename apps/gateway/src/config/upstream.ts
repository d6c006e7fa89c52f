import { ConfigError } from '@keyless/auth-core';

/** Where a route forwards to: an origin and a path prefix. */
export interface Upstream {
  /** e.g. `https://api.openai.com` (no trailing slash). */
  readonly origin: string;
  /** Path prefix without trailing slash, `''` for none; e.g. `/v1`. */
  readonly basePath: string;
}

/**
 * Parses a `*_TARGET` / base URL: a bare host name (https on 443, api-proxy
 * style) or a full URL with scheme, port and path. `basePath` (a `*_BASE_PATH`)
 * is appended to the URL's own path.
 */
export function parseUpstream(label: string, value: string, basePath?: string): Upstream {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${label}: not a host name or URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${label}: scheme must be http or https, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new ConfigError(
      `${label}: credentials in the URL are not allowed; use the key variables`,
    );
  }
  if (url.search || url.hash) {
    throw new ConfigError(`${label}: a query or fragment is not allowed in an upstream URL`);
  }
  const prefix = joinPath(trimSlashes(url.pathname), trimSlashes(basePath ?? ''));
  return { origin: url.origin, basePath: prefix ? `/${prefix}` : '' };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function joinPath(a: string, b: string): string {
  return [a, b].filter(Boolean).join('/');
}
