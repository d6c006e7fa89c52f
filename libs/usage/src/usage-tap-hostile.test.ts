import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { frame, sse } from './testing/wire-fixtures.ts';
import { createUsageTap, type TappedAnswer } from './usage-tap.ts';

const MiB = 1024 * 1024;

function tapFor(contentType: string, path = '/v1/chat/completions', flavor = 'openai') {
  const answer: TappedAnswer = {
    flavor,
    path,
    websocket: false,
    headers: { 'content-type': contentType },
  };
  const tap = createUsageTap(answer);
  if (!tap) throw new Error('no tap');
  return tap;
}

/** Heap growth while `feed` runs, after a collection when the runtime exposes one. */
function heapGrowth(feed: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  feed();
  gc?.();
  return process.memoryUsage().heapUsed - before;
}

describe('a usage tap under hostile answers', () => {
  it('streams a 100 MB SSE answer in bounded memory and still finds the final usage', async () => {
    const tap = tapFor('text/event-stream');
    // One event whose data is a 100 MB string (a never-ending line), then the usage chunk.
    const block = Buffer.alloc(MiB, 0x61);
    const growth = heapGrowth(() => {
      tap.write(Buffer.from('data: {"choices":[{"delta":{"content":"'));
      for (let n = 0; n < 100; n++) tap.write(block);
      tap.write(Buffer.from('"}}]}\n\n'));
    });
    tap.write(sse([[undefined, { usage: { prompt_tokens: 3, completion_tokens: 4 } }]]));
    const report = await tap.end();
    expect(report.usage).toMatchObject({ input: 3, output: 4 });
    expect(report.bytes).toBeGreaterThan(100 * MiB);
    expect(growth).toBeLessThan(16 * MiB);
  });

  it('skips a single 10 MB line that is a value of interest (a model name) instead of holding it', async () => {
    const tap = tapFor('application/json');
    tap.write(Buffer.from('{"model":"'));
    for (let n = 0; n < 10; n++) tap.write(Buffer.alloc(MiB, 0x62));
    tap.write(Buffer.from('","usage":{"prompt_tokens":1,"completion_tokens":2}}'));
    expect(await tap.end()).toMatchObject({ model: undefined, usage: { input: 1, output: 2 } });
  });

  it('reads nothing from garbage, whatever the framing, and never throws', async () => {
    const garbage = randomBytes(256 * 1024);
    for (const [type, path, flavor] of [
      ['application/json', '/v1/chat/completions', 'openai'],
      ['text/event-stream', '/v1/messages', 'anthropic'],
      ['application/vnd.amazon.eventstream', '/model/m/converse-stream', 'bedrock'],
    ] as const) {
      const tap = tapFor(type, path, flavor);
      for (let at = 0; at < garbage.length; at += 1000) tap.write(garbage.subarray(at, at + 1000));
      expect((await tap.end()).reported, type).toBe(false);
    }
  });

  it('rejects counts that are not token counts', async () => {
    const tap = tapFor('application/json');
    tap.write(
      Buffer.from(
        '{"usage":{"prompt_tokens":-5,"completion_tokens":1e300,"prompt_tokens_details":{"cached_tokens":"7"}}}',
      ),
    );
    expect(await tap.end()).toMatchObject({
      reported: false,
      usage: { input: 0, output: 0, cacheRead: 0 },
    });
  });

  it('keeps the frames a cut event stream completed and drops the cut one', async () => {
    const tap = tapFor('application/vnd.amazon.eventstream', '/model/m/converse-stream', 'bedrock');
    const done = frame('event', 'metadata', { usage: { inputTokens: 5, outputTokens: 6 } });
    const cut = frame('event', 'metadata', { usage: { inputTokens: 50, outputTokens: 60 } });
    tap.write(done);
    tap.write(cut.subarray(0, cut.length - 10));
    expect((await tap.end()).usage).toMatchObject({ input: 5, output: 6 });
  });

  it('ignores writes after the end and answers the same report twice', async () => {
    const tap = tapFor('application/json');
    tap.write(Buffer.from('{"usage":{"prompt_tokens":1}}'));
    const first = await tap.end();
    tap.write(Buffer.from('{"usage":{"prompt_tokens":9}}'));
    expect(await tap.end()).toEqual(first);
  });
});
