import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { chain } from './stream-chain.ts';

describe('chain', () => {
  it('relays every byte', async () => {
    expect(await text(chain(Readable.from(['a', 'b', 'c']), new PassThrough()))).toBe('abc');
  });

  it('hands a source failure to the consumer', async () => {
    const source = new PassThrough();
    const out = chain(source, new PassThrough());
    source.write('partial');
    source.destroy(new Error('upstream reset'));
    await expect(text(out)).rejects.toThrow('upstream reset');
  });

  it('destroys the source when the consumer goes away', async () => {
    const source = new PassThrough();
    const out = chain(source, new PassThrough());
    out.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
