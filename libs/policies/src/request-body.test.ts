import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, MAX_DECODED_BODY_BYTES } from './request-body.ts';

const text = Buffer.from('{"model":"claude-opus-4"}');

describe('decodeBody', () => {
  it.each([
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['br', brotliCompressSync(text)],
    ['GZIP', gzipSync(text)],
    ['identity', text],
    ['deflate, gzip', gzipSync(deflateSync(text))],
  ])('undoes %s', (coding, body) => {
    expect(decodeBody(body, coding)).toEqual({ bytes: Buffer.from(text) });
  });

  it('leaves a body without a coding as it is', () => {
    expect(decodeBody(text, undefined)).toEqual({ bytes: text });
  });

  it('says why a body cannot be read: unknown coding, corrupt data, too large once decompressed', () => {
    expect(decodeBody(text, 'zstd')).toEqual({
      unreadable: 'is compressed with "zstd", which Keyless cannot read',
    });
    expect(decodeBody(text, 'gzip')).toEqual({ unreadable: 'does not decompress as gzip' });
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BODY_BYTES + 1));
    expect(decodeBody(bomb, 'gzip')).toEqual({
      unreadable: `decompresses to more than ${MAX_DECODED_BODY_BYTES} bytes`,
    });
  });
});

describe('encodeBody', () => {
  it('applies the codings again, in order', () => {
    const encoded = encodeBody(text, 'deflate, br');
    expect(decodeBody(encoded, 'deflate, br')).toEqual({ bytes: Buffer.from(text) });
    expect(encodeBody(text, undefined)).toEqual(text);
  });
});
