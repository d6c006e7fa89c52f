import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { scrubAnswer } from './scrub-answer.ts';
import { maskOf, SecretMatcher } from './secret-matcher.ts';
import { UnscannableAnswerError } from './secret-scrubber.ts';

const SECRET = 'tok_9f8e7d6c5b4a39281706';

describe('scrubAnswer', () => {
  it('masks headers and the body', async () => {
    const answer = scrubAnswer(
      {
        status: 401,
        headers: { 'x-echo': `Bearer ${SECRET}`, 'set-cookie': [`a=${SECRET}`] },
        body: Readable.from([Buffer.from(`{"seen":"${SECRET}"}`)]),
      },
      new SecretMatcher([SECRET]),
    );
    expect(answer.headers['x-echo']).toBe(`Bearer ${maskOf(SECRET)}`);
    expect(answer.headers['set-cookie']).toEqual([`a=${maskOf(SECRET)}`]);
    expect(await text(answer.body)).toBe(`{"seen":"${maskOf(SECRET)}"}`);
  });

  it.each(['zstd', 'gzip, br'])(
    'refuses a body in a coding it cannot scan (%s) before a byte of it is read',
    async (coding) => {
      // Like undici's body, it reports being destroyed as an error.
      const source = new Readable({
        read() {},
        destroy: (_error, done) => done(new Error('Request aborted')),
      });
      const answer = scrubAnswer(
        { status: 200, headers: { 'content-encoding': coding }, body: source },
        new SecretMatcher([SECRET]),
      );
      await expect(text(answer.body)).rejects.toBeInstanceOf(UnscannableAnswerError);
      expect(source.destroyed).toBe(true);
    },
  );
});
