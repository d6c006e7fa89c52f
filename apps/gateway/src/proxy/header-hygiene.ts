import type { IncomingHttpHeaders } from 'node:http';
import { SCANNABLE_CODINGS } from './secret-scrubber.ts';

/** Hop-by-hop headers (RFC 9110 section 7.6.1): they describe one connection, never relayed. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Client credentials and spoofable or connection-level headers that never reach the upstream. */
const STRIPPED_REQUEST = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  // Node's server already answered the 100; undici refuses to send it again.
  'expect',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'forwarded',
  'via',
]);
const STRIPPED_REQUEST_PREFIXES = ['x-forwarded-', 'x-amz-', 'amz-sdk-'];

const STRIPPED_RESPONSE = new Set(HOP_BY_HOP);

/** Header names listed in a `Connection` header, which are hop-by-hop too. */
function connectionNamed(connection: string | string[] | undefined): Set<string> {
  return new Set(
    String(connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The client's headers as they may be sent upstream: everything except
 * credentials, spoofable proxy headers and hop-by-hop headers (including
 * those named in `Connection`), and `accept-encoding` cut to the codings the
 * answer scan reads. `content-length` is recomputed by the caller.
 */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = connectionNamed(headers.connection);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || STRIPPED_REQUEST.has(name) || named.has(name)) continue;
    if (STRIPPED_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (out['accept-encoding'] !== undefined)
    out['accept-encoding'] = scannableCodings(out['accept-encoding']);
  return out;
}

/**
 * The agent's `accept-encoding` with only the codings whose answers the
 * secret scan can read (an answer in another one is refused), `identity`
 * when none is left: no `accept-encoding` at all would allow any coding.
 */
export function scannableCodings(acceptEncoding: string): string {
  const kept = acceptEncoding
    .split(',')
    .map((item) => item.trim())
    .filter((item) => SCANNABLE_CODINGS.has(item.split(';')[0]!.trim().toLowerCase()));
  return kept.length > 0 ? kept.join(', ') : 'identity';
}

/** The upstream's response headers as they may be relayed: all but the hop-by-hop ones. */
export function relayedResponseHeaders(
  headers: IncomingHttpHeaders,
): Record<string, string | string[]> {
  const named = connectionNamed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || STRIPPED_RESPONSE.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}
