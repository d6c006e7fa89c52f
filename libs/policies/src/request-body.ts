import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateSync,
} from 'node:zlib';

/** Largest body Keyless decompresses to check a model: beyond it the request is not readable. */
export const MAX_DECODED_BODY_BYTES = 32 * 1024 * 1024;

/** The codings Keyless can read and write again, as `Content-Encoding` names them. */
const CODINGS: Readonly<Record<string, { decode: Codec; encode: Codec }>> = {
  gzip: { decode: gunzipSync, encode: gzipSync },
  'x-gzip': { decode: gunzipSync, encode: gzipSync },
  deflate: { decode: inflateSync, encode: deflateSync },
  br: { decode: brotliDecompressSync, encode: brotliCompressSync },
};
type Codec = (data: Uint8Array, options?: { maxOutputLength?: number }) => Buffer;

/** A body's bytes as the upstream reads them, or why Keyless cannot read them. */
export type DecodedBody = { readonly bytes: Uint8Array } | { readonly unreadable: string };

/**
 * The codings of a `Content-Encoding` value in the order they were applied
 * (`identity` dropped), lower-cased.
 */
export function contentCodings(contentEncoding: string | undefined): string[] {
  if (!contentEncoding) return [];
  return contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/**
 * The body with its content codings undone, bounded by
 * `MAX_DECODED_BODY_BYTES`; a coding Keyless does not know, a body that does
 * not decompress or one that decompresses too large is unreadable (said why).
 */
export function decodeBody(
  body: Uint8Array | undefined,
  contentEncoding: string | undefined,
): DecodedBody {
  const codings = contentCodings(contentEncoding);
  if (!body?.length || codings.length === 0) return { bytes: body ?? new Uint8Array() };
  let bytes: Uint8Array = body;
  for (const coding of [...codings].reverse()) {
    const codec = CODINGS[coding];
    if (!codec) {
      return {
        unreadable: `is compressed with ${JSON.stringify(coding.slice(0, 40))}, which Keyless cannot read`,
      };
    }
    try {
      bytes = codec.decode(bytes, { maxOutputLength: MAX_DECODED_BODY_BYTES });
    } catch (error) {
      return {
        unreadable:
          error instanceof RangeError
            ? `decompresses to more than ${MAX_DECODED_BODY_BYTES} bytes`
            : `does not decompress as ${coding}`,
      };
    }
  }
  return { bytes };
}

/** `bytes` with the codings of `contentEncoding` applied again (all known: the body was decoded). */
export function encodeBody(bytes: Uint8Array, contentEncoding: string | undefined): Buffer {
  let encoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const coding of contentCodings(contentEncoding)) encoded = CODINGS[coding]!.encode(encoded);
  return encoded;
}
