import { EventStreamCodec } from '@smithy/eventstream-codec';
import { describe, expect, it } from 'vitest';
import { decodeEventFrames, encodeEventFrame, encodeExceptionFrame } from './eventstream.ts';

describe('event-stream frames', () => {
  it('round-trips events and exceptions through concatenated bytes', () => {
    const bytes = Buffer.concat([
      encodeEventFrame('messageStart', { role: 'assistant' }),
      encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo' } }),
      encodeExceptionFrame('throttlingException', { message: 'slow down' }),
    ]);
    expect(decodeEventFrames(bytes)).toEqual([
      { messageType: 'event', type: 'messageStart', payload: { role: 'assistant' } },
      {
        messageType: 'event',
        type: 'contentBlockDelta',
        payload: { contentBlockIndex: 0, delta: { text: 'héllo' } },
      },
      { messageType: 'exception', type: 'throttlingException', payload: { message: 'slow down' } },
    ]);
  });

  it('writes the headers an AWS client reads', () => {
    const codec = new EventStreamCodec(
      (b) => new TextDecoder().decode(b),
      (s) => new TextEncoder().encode(s),
    );
    const message = codec.decode(encodeEventFrame('chunk', { bytes: 'e30=' }));
    expect(message.headers).toEqual({
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
    });
  });

  it('detects corruption and truncation', () => {
    const frame = encodeEventFrame('messageStop', { stopReason: 'end_turn' });
    const corrupted = Uint8Array.from(frame);
    corrupted[corrupted.length - 6]! ^= 0xff;
    expect(() => decodeEventFrames(corrupted)).toThrow(/checksum/i);
    expect(() => decodeEventFrames(frame.subarray(0, frame.length - 1))).toThrow(/truncated/);
  });
});
