import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { BodyBudget } from './body-budget.ts';
import { RequestRefusedError } from './request-refused.ts';

/** Seconds a client is asked to wait when the gateway holds too many bodies. */
const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** A request body read into memory, and what it took from the budget. */
export interface ReadBody {
  readonly body: Buffer;
  /** Returns the body's bytes to the budget; call once the request is done. */
  release(): void;
}

/**
 * Reads a request body into memory, bounded twice: by `limit` per request
 * (413, before reading when Content-Length says so, else as chunks arrive) and
 * by the shared `budget` (503 overloaded). Bodies are buffered because a
 * signature covers their bytes and a rejected credential replays them. A
 * refused body is not destroyed: the rest is discarded as it arrives, so that
 * the client can finish sending and read the refusal (KEYLESS_REQUEST_TIMEOUT_MS
 * still bounds a client that never finishes).
 */
export function readBody(
  stream: Readable,
  headers: IncomingHttpHeaders,
  limit: number,
  budget: BodyBudget,
): Promise<ReadBody> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      budget.give(size);
    };
    const refuse = (error: Error) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      release();
      chunks.length = 0;
      // Discard the rest without holding it.
      stream.on('error', () => {}).resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) return refuse(tooLarge(limit));
      if (!budget.take(chunk.length)) return refuse(overloaded());
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      stream.off('error', onError);
      resolve({ body: Buffer.concat(chunks, size), release });
    };
    const onError = (error: Error) => {
      stream.off('data', onData).off('end', onEnd);
      release();
      reject(error);
    };
    stream.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

function tooLarge(limit: number): RequestRefusedError {
  return new RequestRefusedError(
    'payload_too_large',
    `request body larger than ${limit} bytes (KEYLESS_BODY_LIMIT)`,
  );
}

function overloaded(): RequestRefusedError {
  return new RequestRefusedError(
    'overloaded',
    'the gateway holds too many request bodies right now (KEYLESS_BUFFER_LIMIT); retry shortly',
    { 'retry-after': String(OVERLOADED_RETRY_AFTER_SECONDS) },
  );
}
