import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeServer, type FakeServer } from './fake-server.ts';
import { SSE_HEADERS, createStreamControl, sseChunks, type StreamControl } from './sse.ts';

describe('sseChunks', () => {
  it('formats named and unnamed events, JSON or raw data, with the chosen line end', () => {
    expect(sseChunks([{ event: 'ping', data: { type: 'ping' } }, { data: '[DONE]' }])).toEqual([
      'event: ping\ndata: {"type":"ping"}\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(sseChunks([{ data: { a: 1 } }], '\r\n')).toEqual(['data: {"a":1}\r\n\r\n']);
  });
});

describe('createStreamControl', () => {
  let control: StreamControl;
  let server: FakeServer;

  beforeAll(async () => {
    control = createStreamControl({ holdAfter: 2 });
    server = await startFakeServer((_request, res) =>
      control.write(res, SSE_HEADERS, ['a', 'b', 'c']),
    );
  });
  afterAll(() => server.close());

  it('holds each stream after holdAfter chunks; release lets only the held ones go on', async () => {
    const first = await fetch(server.url);
    await control.waitFor('held', 1);
    const second = await fetch(server.url);
    await control.waitFor('held', 2);
    expect(control.completed).toBe(0);
    control.release();
    expect(await first.text()).toBe('abc');
    expect(await second.text()).toBe('abc');
    expect(control.completed).toBe(2);

    const third = await fetch(server.url);
    await control.waitFor('held', 3);
    expect(control.completed).toBe(2);
    control.holdAfter = undefined;
    control.release();
    expect(await third.text()).toBe('abc');
    expect(await (await fetch(server.url)).text()).toBe('abc');
    expect(control).toMatchObject({ started: 4, held: 3, completed: 4, aborted: 0 });
  });

  it('waitFor resolves at once for a count already reached', async () => {
    await expect(control.waitFor('started', 1)).resolves.toBeUndefined();
  });

  it('waits gapMs between chunks, and a peer abort cuts the wait short', async () => {
    control.holdAfter = undefined;
    control.gapMs = 600_000;
    try {
      const abort = new AbortController();
      const res = await fetch(server.url, { signal: abort.signal });
      expect(new TextDecoder().decode((await res.body!.getReader().read()).value)).toBe('a');
      const { completed, aborted } = control;
      abort.abort();
      await control.waitFor('aborted', aborted + 1);
      expect(control.completed).toBe(completed);
    } finally {
      control.gapMs = 0;
    }
  });

  it('counts an abort when the peer goes away while held', async () => {
    control.holdAfter = 1;
    const abort = new AbortController();
    const res = await fetch(server.url, { signal: abort.signal });
    await res.body!.getReader().read();
    const before = control.aborted;
    abort.abort();
    await control.waitFor('aborted', before + 1);
    expect(control.completed).toBe(4);
  });
});
