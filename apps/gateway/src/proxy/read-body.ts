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
 * signature covers their bytes and a rejected credential replays them.
 */
export async function readBody(
  stream: Readable,
  headers: IncomingHttpHeaders,
  limit: number,
  budget: BodyBudget,
): Promise<ReadBody> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  const release = () => {
    budget.give(size);
    size = 0;
  };
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      if (size + buffer.length > limit) throw tooLarge(limit);
      if (!budget.take(buffer.length)) {
        throw new RequestRefusedError(
          'overloaded',
          'the gateway holds too many request bodies right now (KEYLESS_BUFFER_LIMIT); retry shortly',
          { 'retry-after': String(OVERLOADED_RETRY_AFTER_SECONDS) },
        );
      }
      size += buffer.length;
      chunks.push(buffer);
    }
  } catch (error) {
    release();
    throw error;
  }
  let released = false;
  return {
    body: Buffer.concat(chunks, size),
    release: () => {
      if (released) return;
      released = true;
      release();
    },
  };
}

function tooLarge(limit: number): RequestRefusedError {
  return new RequestRefusedError(
    'payload_too_large',
    `request body larger than ${limit} bytes (KEYLESS_BODY_LIMIT)`,
  );
}
