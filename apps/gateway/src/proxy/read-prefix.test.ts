import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { readPrefix } from './read-prefix.ts';

describe('readPrefix', () => {
  it('returns a short body whole, as prefix and as body', async () => {
    const { prefix, body } = await readPrefix(
      Readable.from([Buffer.from('{"error":'), Buffer.from('1}')]),
      1024,
    );
    expect(prefix.toString()).toBe('{"error":1}');
    expect(await text(body)).toBe('{"error":1}');
  });

  it('bounds the prefix but relays every byte of a large body', async () => {
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(1000, 97 + (i % 26)));
    const { prefix, body } = await readPrefix(Readable.from(chunks), 4096);
    expect(prefix.length).toBe(4096);
    const all = await text(body);
    expect(all.length).toBe(100_000);
    expect(all).toBe(Buffer.concat(chunks).toString());
  });

  it('rejects when the upstream cuts the body before the prefix is complete', async () => {
    const stream = new PassThrough();
    const peeking = readPrefix(stream, 1024);
    stream.write('partial');
    stream.destroy(new Error('socket hang up'));
    await expect(peeking).rejects.toThrow('socket hang up');
  });

  it('surfaces a cut after the prefix as an error of the relayed body', async () => {
    const stream = new PassThrough();
    const peeking = readPrefix(stream, 4);
    stream.write('abcdef');
    const { body } = await peeking;
    stream.destroy(new Error('reset'));
    await expect(text(body)).rejects.toThrow('reset');
  });
});

describe('readPrefix: a dropped body', () => {
  it('destroys its source when destroyed before it was read', async () => {
    const source = new PassThrough();
    const peeking = readPrefix(source, 4);
    source.write('abcdef');
    const { body } = await peeking;
    body.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('destroys its source when destroyed half-way through', async () => {
    const source = new PassThrough();
    const peeking = readPrefix(source, 4);
    source.write('abcdef');
    const { body } = await peeking;
    const first = await new Promise((resolve) => body.once('data', resolve));
    expect(String(first)).toBe('abcdef');
    body.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('leaves a source that ended alone', async () => {
    const source = new PassThrough();
    const peeking = readPrefix(source, 4);
    source.end('abcdef');
    const { body } = await peeking;
    expect(await text(body)).toBe('abcdef');
    expect(source.readableEnded).toBe(true);
  });
});
