import { describe, expect, it } from 'vitest';
import { SseDecoder } from './sse-decoder.ts';

/** Decodes `text` fed in pieces of `step` bytes; returns the dispatched events' data. */
function decode(text: string, step = text.length): string[] {
  const events: string[] = [];
  const decoder = new SseDecoder(() => {
    const parts: Buffer[] = [];
    return {
      write: (chunk, start, end) => parts.push(Buffer.from(chunk.subarray(start, end))),
      end: () => events.push(Buffer.concat(parts).toString()),
    };
  });
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += step) decoder.write(bytes.subarray(at, at + step));
  return events;
}

const STREAM =
  ': keep-alive comment\n' +
  'event: message_start\ndata: {"a":1}\n\n' +
  'id: 7\r\ndata:{"b":\r\ndata: 2}\r\n\r\n' +
  'retry: 10\rdata: [DONE]\r\r' +
  'data\n\n' +
  'data: cut before its blank line\n';

describe('SseDecoder', () => {
  it('dispatches each event data at its blank line, joining data lines with a newline', () => {
    expect(decode(STREAM)).toEqual(['{"a":1}', '{"b":\n2}', '[DONE]', '']);
  });

  it('decodes the same events whatever the chunk size (LF, CRLF and CR line ends)', () => {
    for (let step = 1; step < 8; step++) expect(decode(STREAM, step)).toEqual(decode(STREAM));
  });

  it('ignores over-long field names and events without data', () => {
    expect(decode('datadata: x\nevent: y\n\ndata: z\n\n')).toEqual(['z']);
  });

  it('streams a 10 MB data line without holding it', () => {
    let seen = 0;
    const decoder = new SseDecoder(() => ({
      write: (_c, start, end) => (seen += end - start),
      end: () => {},
    }));
    decoder.write(Buffer.from('data: '));
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let n = 0; n < 10; n++) decoder.write(block);
    expect(seen).toBe(10 * 1024 * 1024);
  });
});
