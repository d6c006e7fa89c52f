import { describe, expect, it } from 'vitest';
import { EventStreamDecoder } from './eventstream-decoder.ts';
import { frame } from './testing/wire-fixtures.ts';

interface Decoded {
  type: string | undefined;
  payload: string;
  valid: boolean;
}

function decode(bytes: Uint8Array, step = bytes.length): { messages: Decoded[]; failed: boolean } {
  const messages: Decoded[] = [];
  const decoder = new EventStreamDecoder((headers) => {
    const parts: Buffer[] = [];
    const type = headers.get(':event-type') ?? headers.get(':exception-type');
    return {
      write: (chunk, start, end) => parts.push(Buffer.from(chunk.subarray(start, end))),
      end: (valid) => messages.push({ type, payload: Buffer.concat(parts).toString(), valid }),
    };
  });
  for (let at = 0; at < bytes.length; at += step) decoder.write(bytes.subarray(at, at + step));
  return { messages, failed: decoder.failed };
}

const STREAM = Buffer.concat([
  frame('event', 'messageStart', { role: 'assistant' }),
  frame('exception', 'throttlingException', { message: 'slow down' }),
  frame('event', 'metadata', { usage: { inputTokens: 3 } }),
]);

describe('EventStreamDecoder', () => {
  it('decodes frames with their string headers and checks each message CRC', () => {
    expect(decode(STREAM)).toEqual({
      failed: false,
      messages: [
        { type: 'messageStart', payload: '{"role":"assistant"}', valid: true },
        { type: 'throttlingException', payload: '{"message":"slow down"}', valid: true },
        { type: 'metadata', payload: '{"usage":{"inputTokens":3}}', valid: true },
      ],
    });
  });

  it('decodes the same frames split at every byte', () => {
    const whole = decode(STREAM);
    for (let step = 1; step <= 13; step++) expect(decode(STREAM, step)).toEqual(whole);
    for (let cut = 1; cut < STREAM.length; cut++) {
      const messages: string[] = [];
      const decoder = new EventStreamDecoder(() => ({
        write: (chunk, start, end) =>
          messages.push(Buffer.from(chunk.subarray(start, end)).toString()),
        end: () => messages.push('|'),
      }));
      decoder.write(STREAM.subarray(0, cut));
      decoder.write(STREAM.subarray(cut));
      expect(messages.join('').split('|').filter(Boolean)).toEqual(
        whole.messages.map((m) => m.payload),
      );
    }
  });

  it('marks a message whose payload was altered as invalid', () => {
    const bad = Buffer.from(frame('event', 'metadata', { usage: { inputTokens: 3 } }));
    bad.writeUInt8(bad.readUInt8(bad.length - 8) ^ 0xff, bad.length - 8);
    expect(decode(bad).messages[0]?.valid).toBe(false);
  });

  it('stops at a prelude that is not an event stream (garbage, absurd lengths)', () => {
    expect(decode(Buffer.from('{"not":"an event stream at all"}'))).toEqual({
      messages: [],
      failed: true,
    });
    const huge = Buffer.alloc(12);
    huge.writeUInt32BE(0xffffffff, 0);
    expect(decode(huge).failed).toBe(true);
  });
});
