import { EventStreamCodec } from '@smithy/eventstream-codec';

// UTF-8 through the platform: the codec only needs these two conversions.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec(
  (bytes) => decoder.decode(bytes),
  (text) => encoder.encode(text),
);

/** MIME type of AWS event streams. */
export const EVENTSTREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

/** One decoded frame. */
export interface EventFrame {
  /** `event` or `exception`. */
  readonly messageType: string;
  /** `:event-type` or `:exception-type`, e.g. `contentBlockDelta`. */
  readonly type: string;
  /** The JSON payload, parsed. */
  readonly payload: unknown;
}

/** Encodes one `:message-type: event` frame with a JSON payload (prelude, headers, payload, CRCs). */
export function encodeEventFrame(eventType: string, payload: unknown): Uint8Array {
  return encodeFrame('event', ':event-type', eventType, payload);
}

/** Encodes one `:message-type: exception` frame, e.g. `throttlingException` with `{message}`. */
export function encodeExceptionFrame(exceptionType: string, payload: unknown): Uint8Array {
  return encodeFrame('exception', ':exception-type', exceptionType, payload);
}

/** Decodes a complete byte sequence of frames; the codec checks both CRCs. Throws on a partial frame. */
export function decodeEventFrames(bytes: Uint8Array): EventFrame[] {
  const frames: EventFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.byteLength;) {
    if (bytes.byteLength - offset < 4) throw new Error('truncated event stream prelude');
    const length = view.getUint32(offset);
    if (offset + length > bytes.byteLength) throw new Error('truncated event stream frame');
    const message = codec.decode(bytes.subarray(offset, offset + length));
    const header = (name: string) => {
      const value = message.headers[name]?.value;
      return typeof value === 'string' ? value : '';
    };
    const messageType = header(':message-type');
    frames.push({
      messageType,
      type: header(messageType === 'exception' ? ':exception-type' : ':event-type'),
      payload: message.body.byteLength > 0 ? JSON.parse(decoder.decode(message.body)) : undefined,
    });
    offset += length;
  }
  return frames;
}

function encodeFrame(
  messageType: string,
  typeHeader: string,
  type: string,
  payload: unknown,
): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: encoder.encode(JSON.stringify(payload)),
  });
}
