import type { IncomingHttpHeaders } from 'node:http';

/** Client credentials and spoofable or connection-level headers that never reach the upstream. */
const STRIPPED = new Set([
  'host',
  'content-length',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'forwarded',
  'via',
  // hop-by-hop (RFC 9110 section 7.6.1)
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const STRIPPED_PREFIXES = ['x-forwarded-', 'x-amz-', 'amz-sdk-'];

/**
 * The client's headers as they may be sent upstream: everything except
 * credentials, spoofable proxy headers and hop-by-hop headers (including
 * those named in `Connection`). `content-length` is recomputed by the caller.
 */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || STRIPPED.has(name) || named.has(name)) continue;
    if (STRIPPED_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
