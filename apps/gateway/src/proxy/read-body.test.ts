import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyBudget } from './body-budget.ts';
import { readBody } from './read-body.ts';
import { RequestRefusedError } from './request-refused.ts';

/** The refusal `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<RequestRefusedError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(RequestRefusedError);
  return error as RequestRefusedError;
}

function chunks(...sizes: number[]): Readable {
  return Readable.from(sizes.map((size) => Buffer.alloc(size, 120)));
}

describe('readBody', () => {
  it('reads the whole body and holds its bytes until released', async () => {
    const budget = new BodyBudget(100);
    const read = await readBody(chunks(10, 20), {}, 50, budget);
    expect(read.body.length).toBe(30);
    expect(budget.used).toBe(30);
    read.release();
    read.release();
    expect(budget.used).toBe(0);
  });

  it('refuses a declared Content-Length over the limit before reading (413)', async () => {
    const budget = new BodyBudget(100);
    const stream = new PassThrough();
    const error = await refusal(readBody(stream, { 'content-length': '51' }, 50, budget));
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('KEYLESS_BODY_LIMIT');
    expect(stream.listenerCount('data')).toBe(0);
    expect(budget.used).toBe(0);
  });

  it('refuses a chunked body once it passes the limit (413) and gives its bytes back', async () => {
    const budget = new BodyBudget(1_000);
    const stream = new PassThrough();
    const reading = readBody(stream, {}, 50, budget);
    stream.write(Buffer.alloc(30));
    stream.write(Buffer.alloc(30));
    expect((await refusal(reading)).code).toBe('payload_too_large');
    expect(budget.used).toBe(0);
    // The rest is discarded as it arrives, so that the client can finish and read the refusal.
    stream.write(Buffer.alloc(30));
    expect(stream.readableFlowing).toBe(true);
    expect(budget.used).toBe(0);
  });

  it('answers 503 overloaded with Retry-After when the shared budget is spent', async () => {
    const budget = new BodyBudget(100);
    const first = new PassThrough();
    const holding = readBody(first, {}, 80, budget);
    first.end(Buffer.alloc(70));
    const held = await holding;

    const second = new PassThrough();
    const refused = readBody(second, {}, 80, budget);
    second.write(Buffer.alloc(20));
    second.write(Buffer.alloc(20));
    const error = await refusal(refused);
    expect(error.code).toBe('overloaded');
    expect(error.message).toContain('KEYLESS_BUFFER_LIMIT');
    expect(Number(error.headers['retry-after'])).toBeGreaterThan(0);
    // The refused body gave back what it had taken; the held one still holds its bytes.
    expect(budget.used).toBe(70);
    held.release();
    expect(budget.used).toBe(0);
  });

  it('gives the bytes back when the client stream fails mid-body', async () => {
    const budget = new BodyBudget(100);
    const stream = new PassThrough();
    const reading = readBody(stream, {}, 80, budget);
    stream.write(Buffer.alloc(40));
    await new Promise((resolve) => setImmediate(resolve));
    expect(budget.used).toBe(40);
    stream.destroy(new Error('aborted'));
    await expect(reading).rejects.toThrow('aborted');
    expect(budget.used).toBe(0);
  });
});
