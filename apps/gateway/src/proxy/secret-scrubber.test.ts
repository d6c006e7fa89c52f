import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { maskOf, SecretMatcher } from './secret-matcher.ts';
import { PlainSecretScrubber, SecretInAnswerError, secretGuardFor } from './secret-scrubber.ts';

const SECRET = 'tok_9f8e7d6c5b4a39281706';

/** Splits `data` into chunks of `size` bytes. */
function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

describe('PlainSecretScrubber', () => {
  it.each([1, 2, 3, 7, 64])('replaces a secret split across %i-byte chunks', async (size) => {
    const body = Buffer.from(`data: {"echo":"Bearer ${SECRET}","again":"${SECRET}"}\n\n`);
    const out = await text(
      Readable.from(chunked(body, size)).pipe(new PlainSecretScrubber(new SecretMatcher([SECRET]))),
    );
    const mask = maskOf(SECRET).toString();
    expect(mask).toMatch(/^\[REDACTED\]\**$/);
    expect(out).toBe(`data: {"echo":"Bearer ${mask}","again":"${mask}"}\n\n`);
    expect(out).toHaveLength(body.length);
  });

  it('passes bytes that cannot begin a secret through at once', () => {
    const scrubber = new PlainSecretScrubber(new SecretMatcher([SECRET]));
    const seen: string[] = [];
    scrubber.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    scrubber.write('data: {"delta":"hi"}\n\n');
    expect(seen).toEqual(['data: {"delta":"hi"}\n\n']);
    scrubber.write('x tok_9f');
    expect(seen.at(-1)).toBe('x ');
    expect(scrubber.holding).toBe(true);
  });

  it('releases a held prefix that did not become a secret', async () => {
    const out = await text(
      Readable.from([Buffer.from('a tok_9'), Buffer.from('X end')]).pipe(
        new PlainSecretScrubber(new SecretMatcher([SECRET])),
      ),
    );
    expect(out).toBe('a tok_9X end');
  });
});

describe('secretGuardFor compressed answers', () => {
  it('relays clean gzip bytes exactly as sent', async () => {
    const gz = zlib.gzipSync(Buffer.from('{"ok":true,"text":"' + 'x'.repeat(5000) + '"}'));
    const guard = secretGuardFor('gzip', new SecretMatcher([SECRET]))!;
    const out = await buffer(Readable.from(chunked(gz, 50)).pipe(guard));
    expect(out.equals(gz)).toBe(true);
  });

  it.each(['gzip', 'deflate', 'br'])('cuts a %s answer that carries the secret', async (coding) => {
    const plain = Buffer.from(`{"echo":"${SECRET}"}`);
    const compressed =
      coding === 'gzip'
        ? zlib.gzipSync(plain)
        : coding === 'br'
          ? zlib.brotliCompressSync(plain)
          : zlib.deflateSync(plain);
    const guard = secretGuardFor(coding, new SecretMatcher([SECRET]))!;
    const relayed: Buffer[] = [];
    guard.on('data', (chunk: Buffer) => relayed.push(chunk));
    await expect(pipeline(Readable.from(chunked(compressed, 5)), guard)).rejects.toBeInstanceOf(
      SecretInAnswerError,
    );
    // Nothing that decompresses to (a part of) the secret reached the client.
    expect(Buffer.concat(relayed).length).toBeLessThan(compressed.length);
  });

  it('leaves codings it cannot read, and stacked codings, to the caller', () => {
    for (const coding of ['zstd', 'compress', 'gzip, br', 'br,gzip', 'constructor', 'x, identity'])
      expect(secretGuardFor(coding, new SecretMatcher([SECRET])), coding).toBeUndefined();
  });

  it('reads identity in a list as no coding (gzip, identity is gzip)', async () => {
    const gz = zlib.gzipSync(Buffer.from(`{"echo":"${SECRET}"}`));
    const guard = secretGuardFor('gzip, identity', new SecretMatcher([SECRET]))!;
    await expect(pipeline(Readable.from([gz]), guard)).rejects.toBeInstanceOf(SecretInAnswerError);
    const plain = secretGuardFor(' Identity ', new SecretMatcher([SECRET]))!;
    expect(plain).toBeInstanceOf(PlainSecretScrubber);
  });
});
