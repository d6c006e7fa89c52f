import { Readable } from 'node:stream';

/** The first bytes of a body, and the whole body (those bytes included) still to be relayed. */
export interface Peeked {
  /** At most `limit` bytes, for classification only. */
  readonly prefix: Buffer;
  /** Every byte of the original body, the prefix first. */
  readonly body: Readable;
}

/**
 * Reads at most about `limit` bytes of `stream` to classify an answer, without
 * losing any: the returned body replays what was read, then the rest. Rejects
 * when the stream fails before `limit` bytes or its end (e.g. a cut connection).
 */
export function readPrefix(stream: Readable, limit: number): Promise<Peeked> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (ended: boolean) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
      // Until the body is consumed nothing listens: an error now must not be unhandled. The
      // consumer still sees it, because iterating an errored stream throws its error.
      if (!ended) stream.on('error', ignore);
      const read = Buffer.concat(chunks);
      const body = ended ? Readable.from([read]) : Readable.from(concat(read, stream));
      resolve({ prefix: read.subarray(0, limit), body });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) settle(false);
    };
    const onEnd = () => settle(true);
    const onError = (error: Error) => {
      stream.off('data', onData).off('end', onEnd);
      reject(error);
    };
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function ignore(): void {}

async function* concat(first: Buffer, rest: Readable): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  for await (const chunk of rest) yield chunk as Buffer;
}
