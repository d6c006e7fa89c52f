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
 * losing any: the returned body replays what was read, then the rest; destroying
 * it destroys `stream`. Rejects when the stream fails before `limit` bytes or its
 * end (e.g. a cut connection).
 */
export function readPrefix(stream: Readable, limit: number): Promise<Peeked> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (ended: boolean) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
      const read = Buffer.concat(chunks);
      if (ended) return resolve({ prefix: read.subarray(0, limit), body: Readable.from([read]) });
      const body = replayThenRest(read, stream);
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

/**
 * `first`, then the rest of `source`, with backpressure. The source's error
 * errors the body (iterating it throws). Destroying the body destroys the
 * source at once, even while it waits for the source: a dropped answer (a
 * rejection that is renewed, a client gone) must not keep the upstream's
 * socket open until the upstream timeout.
 */
function replayThenRest(first: Buffer, source: Readable): Readable {
  const onData = (chunk: Buffer) => {
    if (!body.push(chunk)) source.pause();
  };
  const onEnd = () => body.push(null);
  const onError = (error: Error) => body.destroy(error);
  const body = new Readable({
    read() {
      source.resume();
    },
    destroy(error, callback) {
      source.off('data', onData).off('end', onEnd).off('error', onError);
      // Errors of a source that is going away concern nobody any more.
      source.on('error', () => {});
      if (!source.readableEnded) source.destroy();
      callback(error);
    },
  });
  if (first.length > 0) body.push(first);
  source.on('data', onData).once('end', onEnd).once('error', onError);
  return body;
}
