import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Headers in which client SDKs send their key. */
const KEY_HEADERS = ['x-api-key', 'api-key', 'x-goog-api-key'] as const;

/** True when any of the client's auth headers carries exactly `expected`. */
export function presentsClientKey(headers: IncomingHttpHeaders, expected: string): boolean {
  const presented: string[] = [];
  const authorization = headers.authorization;
  if (authorization) presented.push(authorization.replace(/^bearer\s+/i, ''));
  for (const name of KEY_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') presented.push(value);
  }
  return presented.some((value) => constantTimeEquals(value, expected));
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
