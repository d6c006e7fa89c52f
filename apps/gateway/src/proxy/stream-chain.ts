import type { Readable, Transform } from 'node:stream';

/**
 * `source` piped into `transform`, with a failure of either side tearing down
 * the other: a source error reaches the consumer of `transform`, and a
 * consumer that goes away (or a transform that fails) destroys the source,
 * which aborts the upstream request. Unlike `stream.pipeline`, it allocates no
 * AbortController per call: this runs on every proxied answer.
 */
export function chain(source: Readable, transform: Transform): Transform {
  source.once('error', (error) => transform.destroy(error));
  transform.once('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(transform);
}
