import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

/** Takes bytes. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
}

/** Answer bytes in (as relayed), decoded bytes out to a sink. */
export interface ByteDecoder extends ByteSink {
  /** No more input; resolves once every decoded byte reached the sink (never rejects). */
  end(): Promise<void>;
}

/** Decoded bytes read from one compressed answer; a decompression bomb is read no further. */
export const MAX_DECODED_BYTES = 512 * 1024 * 1024;
/** Compressed bytes waiting for the decompressor; beyond, the tap gives up rather than hold them. */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * A decoder for a `Content-Encoding` (identity, gzip, deflate, br, zstd), or
 * undefined for one it cannot read. Decompression is for the tap only: the
 * client gets the bytes as the upstream sent them. A truncated or corrupt
 * stream ends decoding quietly with what was read.
 */
export function createDecoder(
  encoding: string | undefined,
  sink: ByteSink,
): ByteDecoder | undefined {
  const name = encoding?.trim().toLowerCase() ?? '';
  if (name === '' || name === 'identity') {
    return { write: (chunk) => sink.write(chunk), end: () => Promise.resolve() };
  }
  const stream = decompressor(name);
  return stream ? streamDecoder(stream, sink) : undefined;
}

function decompressor(name: string): Transform | undefined {
  // Sync flush at the end: a cut answer yields what arrived instead of an error.
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (name === 'gzip' || name === 'x-gzip') return zlib.createGunzip(flush);
  if (name === 'deflate') return zlib.createInflate(flush);
  if (name === 'br') {
    return zlib.createBrotliDecompress({
      finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
    });
  }
  const zstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (name === 'zstd' && zstd) return zstd();
  return undefined;
}

function streamDecoder(stream: Transform, sink: ByteSink): ByteDecoder {
  let decoded = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
    stream.destroy();
  };
  stream.on('error', stop);
  stream.on('data', (chunk: Buffer) => {
    if (stopped) return;
    decoded += chunk.length;
    if (decoded > MAX_DECODED_BYTES) stop();
    else sink.write(chunk);
  });
  const done = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
  return {
    write(chunk) {
      if (stopped) return;
      if (stream.writableLength > MAX_PENDING_BYTES) stop();
      else stream.write(chunk);
    },
    end() {
      if (!stopped) stream.end();
      return done;
    },
  };
}
