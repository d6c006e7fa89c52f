import type { IncomingHttpHeaders } from 'node:http';
import type { Upstream } from '../config/upstream.ts';
import { presentsClientKey } from './client-key.ts';
import type { GatewayErrorCode } from './error-codes.ts';
import { BadRequestTargetError, upstreamPath } from './request-target.ts';

/** A request the gateway will forward (with its upstream path), or the error that refuses it. */
export type Admission =
  { readonly path: string } | { readonly refuse: GatewayErrorCode; readonly message: string };

/** Who may send what: the client key (when configured) and the headers it may arrive in. */
export interface ClientKeyRule {
  readonly key: string | undefined;
  readonly headers: readonly string[];
}

/**
 * Decides whether a request (plain or WebSocket upgrade) may be forwarded: its
 * target must stay on the upstream's origin and base path, and it must carry
 * the client key when one is configured. The path is forwarded byte for byte
 * (never decoded or re-encoded), so what a plugin signs is exactly what is sent.
 */
export function admit(
  rawTarget: string,
  headers: IncomingHttpHeaders,
  upstream: Upstream,
  clientKey: ClientKeyRule,
): Admission {
  let path: string;
  try {
    path = upstreamPath(rawTarget, upstream.basePath);
  } catch (error) {
    if (!(error instanceof BadRequestTargetError)) throw error;
    return { refuse: 'bad_request_target', message: error.message };
  }
  if (
    clientKey.key !== undefined &&
    !presentsClientKey(headers, clientKey.headers, clientKey.key)
  ) {
    return {
      refuse: 'unauthorized_client',
      message: `this gateway requires the client key (KEYLESS_CLIENT_KEY) in ${clientKey.headers.join(' or ')}`,
    };
  }
  return { path };
}
