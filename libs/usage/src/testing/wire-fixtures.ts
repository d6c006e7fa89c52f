import { EventStreamCodec } from '@smithy/eventstream-codec';

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

/** One event-stream frame as AWS sends it (the codec the AWS SDK decodes with). */
export function frame(
  messageType: 'event' | 'exception',
  type: string,
  payload: unknown,
): Uint8Array {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      'x-flag': { type: 'boolean', value: true },
      'x-count': { type: 'integer', value: 7 },
    },
    body: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

/** Server-sent events: `[event name, data]` pairs (a string data is sent as is). */
export function sse(events: readonly (readonly [string | undefined, unknown])[]): Buffer {
  return Buffer.from(
    events
      .map(([name, data]) => {
        const line = typeof data === 'string' ? data : JSON.stringify(data);
        return `${name ? `event: ${name}\n` : ''}data: ${line}\n\n`;
      })
      .join(''),
  );
}
