import { createHash } from 'node:crypto';
import type { OutgoingRequest } from '@keyless/auth-core';
import { sigV4Headers } from './sigv4-headers.ts';
import type { AwsCredentials } from './sigv4-headers.ts';

/** Bedrock's SigV4 signing name (credential scope `.../bedrock/aws4_request`), not `bedrock-runtime`. */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

/** Header the payload hash travels in; the signer trusts it, so it is always computed here. */
const CONTENT_SHA256 = 'x-amz-content-sha256';

/** Client credentials and signing headers that must never reach the upstream. */
function isClientAuthHeader(name: string): boolean {
  return name === 'authorization' || name.startsWith('x-amz-') || name.startsWith('amz-sdk-');
}

/**
 * Only these headers are signed: hop-by-hop, proxy-adjusted or client-library
 * headers (user-agent, content-length, accept-encoding, ...) can change on the
 * way without breaking the signature, and AWS requires no others.
 */
function isSignedHeader(name: string): boolean {
  return name === 'host' || name === 'content-type' || name.startsWith('x-amz-');
}

/**
 * Signs a Bedrock request in place, immediately before it is sent (and again
 * on every replay): drops client `authorization`/`x-amz-*`/`amz-sdk-*`
 * headers, sets `host` from the origin, hashes the exact body bytes into
 * `x-amz-content-sha256`, and writes `authorization`, `x-amz-date` and
 * `x-amz-security-token`. `now` defaults to the current time.
 */
export async function signRequest(
  credentials: AwsCredentials,
  region: string,
  request: OutgoingRequest,
  now: Date = new Date(),
): Promise<void> {
  const headers = request.headers;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || isClientAuthHeader(lower)) delete headers[name];
  }
  headers['host'] = new URL(request.origin).host;
  headers[CONTENT_SHA256] = createHash('sha256')
    .update(request.body ?? new Uint8Array())
    .digest('hex');
  const signed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (isSignedHeader(name)) signed[name] = value;
  }
  const added = await sigV4Headers(
    credentials,
    { region, service: BEDROCK_SIGNING_SERVICE },
    { method: request.method, origin: request.origin, path: request.path, headers: signed },
    now,
  );
  Object.assign(headers, added);
}
