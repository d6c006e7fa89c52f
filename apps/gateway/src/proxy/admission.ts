import type { IncomingHttpHeaders } from 'node:http';
import type { Upstream } from '../config/upstream.ts';
import { presentsClientKey } from './client-key.ts';
import type { GatewayErrorCode } from './gateway-errors.ts';
import { BadRequestTargetError, upstreamPath } from './request-target.ts';

/** A request the gateway will forward (with its upstream path), or the error that refuses it. */
export type Admission =
  { readonly path: string } | { readonly refuse: GatewayErrorCode; readonly message: string };

/**
 * Decides whether a request (plain or WebSocket upgrade) may be forwarded: its
 * target must stay on the upstream's origin and base path, and it must carry
 * the client key when one is configured. The path is normalised once through
 * the URL parser, so that what a plugin signs is exactly what is sent.
 */
export function admit(
  rawTarget: string,
  headers: IncomingHttpHeaders,
  upstream: Upstream,
  clientKey: string | undefined,
): Admission {
  let path: string;
  try {
    const url = new URL(upstreamPath(rawTarget, upstream.basePath), upstream.origin);
    if (url.origin !== upstream.origin)
      throw new BadRequestTargetError('changes the upstream origin');
    path = url.pathname + url.search;
  } catch (error) {
    if (!(error instanceof BadRequestTargetError)) throw error;
    return { refuse: 'bad_request_target', message: error.message };
  }
  if (clientKey !== undefined && !presentsClientKey(headers, clientKey)) {
    return {
      refuse: 'unauthorized_client',
      message: 'this gateway requires the client key (KEYLESS_CLIENT_KEY) in the usual auth header',
    };
  }
  return { path };
}
