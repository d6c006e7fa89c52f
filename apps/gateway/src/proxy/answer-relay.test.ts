import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { AnswerRelay } from './answer-relay.ts';
import type { AnswerObserver } from './request-hooks.ts';

function recorder(): AnswerObserver & { chunks: string[]; ends: boolean[] } {
  const chunks: string[] = [];
  const ends: boolean[] = [];
  return { chunks, ends, data: (chunk) => chunks.push(chunk.toString()), end: (c) => ends.push(c) };
}

describe('AnswerRelay', () => {
  it('relays every byte and shows each to its observer, then a complete end', async () => {
    const seen = recorder();
    const relay = new AnswerRelay().from(Readable.from(['a', 'b', 'c'])).observe(seen);
    expect(await text(relay)).toBe('abc');
    expect(seen.chunks.join('')).toBe('abc');
    expect(seen.ends).toEqual([true]);
  });

  it('reads nothing from its source until the consumer reads', async () => {
    const source = new PassThrough();
    source.write('early');
    const relay = new AnswerRelay().from(source);
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.readableLength).toBe(5);
    // An observer attached now still sees the first bytes.
    const seen = recorder();
    relay.observe(seen);
    source.end();
    expect(await text(relay)).toBe('early');
    expect(seen.chunks).toEqual(['early']);
  });

  it('hands a source failure to the consumer, and ends the observer as cut', async () => {
    const source = new PassThrough();
    const seen = recorder();
    const relay = new AnswerRelay().from(source).observe(seen);
    source.write('partial');
    source.destroy(new Error('upstream reset'));
    await expect(text(relay)).rejects.toThrow('upstream reset');
    expect(seen.ends).toEqual([false]);
  });

  it('destroys the source when the consumer goes away, also before reading', async () => {
    const source = new PassThrough();
    new AnswerRelay().from(source).destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('takes one observer', () => {
    const relay = new AnswerRelay().observe(recorder());
    expect(() => relay.observe(recorder())).toThrow(/one observer/);
  });
});
