import type { DemoRequest } from './demo-requests.ts';

/** Bytes of an answer kept for the failure message; the rest is only counted. */
const KEPT_BYTES = 2048;

/** How one request went. */
export interface TimedAnswer {
  readonly status: number;
  readonly contentType: string;
  /** ms from sending to the first body byte. */
  readonly firstByteMs: number;
  /** ms from sending to the end of the body. */
  readonly totalMs: number;
  readonly bytes: number;
  /** The first KEPT_BYTES of the body, as text. */
  readonly head: string;
}

/** Sends `request` to `baseUrl` and times the first byte and the whole answer. */
export async function timedRequest(
  baseUrl: string,
  request: DemoRequest,
  signal: AbortSignal,
): Promise<TimedAnswer> {
  const startedAt = performance.now();
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal,
  });
  let firstByteMs: number | undefined;
  let bytes = 0;
  const kept: Uint8Array[] = [];
  if (response.body) {
    for await (const chunk of response.body) {
      firstByteMs ??= performance.now() - startedAt;
      if (bytes < KEPT_BYTES) kept.push(chunk);
      bytes += chunk.length;
    }
  }
  const totalMs = performance.now() - startedAt;
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    firstByteMs: firstByteMs ?? totalMs,
    totalMs,
    bytes,
    head: Buffer.concat(kept).subarray(0, KEPT_BYTES).toString('utf8'),
  };
}
