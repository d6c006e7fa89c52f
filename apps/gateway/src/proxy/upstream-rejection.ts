import type { IncomingHttpHeaders } from 'node:http';

/** Wording of a 403 that means "your token or signature expired", as the major clouds phrase it. */
const EXPIRED =
  /ExpiredToken|(?:token|signature)[^.]{0,80}expired|expired[^.]{0,40}(?:token|signature)/i;

/**
 * True when an upstream answer rejects the credential itself, so that a new
 * credential (and one replay) can fix it: any 401, or a 403 whose error type
 * header or body says the token or signature expired.
 */
export function rejectsCredential(
  status: number,
  headers: IncomingHttpHeaders,
  body?: string,
): boolean {
  if (status === 401) return true;
  if (status !== 403) return false;
  return EXPIRED.test(String(headers['x-amzn-errortype'] ?? '')) || EXPIRED.test(body ?? '');
}
