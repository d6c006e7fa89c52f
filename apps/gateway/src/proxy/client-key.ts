import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** True when one of `names` (the flavor's client key headers) carries exactly `expected`. */
export function presentsClientKey(
  headers: IncomingHttpHeaders,
  names: readonly string[],
  expected: string,
): boolean {
  return names.some((name) => {
    const value = headers[name];
    if (typeof value !== 'string') return false;
    const presented = name === 'authorization' ? value.replace(/^bearer\s+/i, '') : value;
    return constantTimeEquals(presented, expected);
  });
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
