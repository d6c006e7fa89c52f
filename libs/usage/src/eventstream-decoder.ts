import { crc32 } from 'node:zlib';

/** Receives one event-stream message's payload as it streams in. */
export interface PayloadSink {
  write(chunk: Uint8Array, start: number, end: number): void;
  /** The message ended; `valid` is false when its CRC did not match (the payload is then to be ignored). */
  end(valid: boolean): void;
}

/** The string headers of a message (`:message-type`, `:event-type`, ...). */
export type MessageHeaders = ReadonlyMap<string, string>;

/** AWS caps a message at 16 MiB and its headers at 128 KiB; anything larger is not an event stream. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const MAX_HEADER_BYTES = 128 * 1024;
const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;

const State = {
  Prelude: 0,
  Headers: 1,
  Payload: 2,
  Crc: 3,
  Failed: 4,
} as const;

/**
 * A streaming `application/vnd.amazon.eventstream` decoder: prelude (total
 * and header lengths, CRC), headers, payload, message CRC. Frames may be split
 * anywhere across chunks; only the prelude and the headers (bounded by
 * {@link MAX_HEADER_BYTES}) are ever held, the payload streams into a sink.
 * A bad prelude stops decoding: what follows cannot be framed any more.
 */
export class EventStreamDecoder {
  readonly #onMessage: (headers: MessageHeaders) => PayloadSink | undefined;
  #state: number = State.Prelude;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #totalLength = 0;
  #headersLength = 0;
  #payloadLeft = 0;
  #crc = 0;
  #sink: PayloadSink | undefined;

  /** `onMessage` sees each message's headers and may return a sink for its payload. */
  constructor(onMessage: (headers: MessageHeaders) => PayloadSink | undefined) {
    this.#onMessage = onMessage;
  }

  /** True once the bytes stopped being an event stream. */
  get failed(): boolean {
    return this.#state === State.Failed;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.#state !== State.Failed) {
      if (this.#state === State.Payload) {
        const take = Math.min(this.#payloadLeft, chunk.length - i);
        const part = chunk.subarray(i, i + take);
        this.#crc = crc32(part, this.#crc);
        this.#sink?.write(chunk, i, i + take);
        this.#payloadLeft -= take;
        i += take;
        if (this.#payloadLeft === 0) this.#state = State.Crc;
        continue;
      }
      const need = this.#needed() - this.#heldBytes;
      const take = Math.min(need, chunk.length - i);
      this.#held.push(Buffer.from(chunk.subarray(i, i + take)));
      this.#heldBytes += take;
      i += take;
      if (take === need) this.#complete(Buffer.concat(this.#held));
    }
  }

  #needed(): number {
    if (this.#state === State.Prelude) return PRELUDE_BYTES;
    if (this.#state === State.Headers) return this.#headersLength;
    return CRC_BYTES;
  }

  #complete(bytes: Buffer): void {
    this.#held = [];
    this.#heldBytes = 0;
    switch (this.#state) {
      case State.Prelude:
        return this.#prelude(bytes);
      case State.Headers:
        return this.#headers(bytes);
      case State.Crc:
        this.#sink?.end(bytes.readUInt32BE(0) === this.#crc);
        this.#sink = undefined;
        this.#state = State.Prelude;
        return;
    }
  }

  #prelude(bytes: Buffer): void {
    const total = bytes.readUInt32BE(0);
    const headers = bytes.readUInt32BE(4);
    const valid =
      crc32(bytes.subarray(0, 8)) === bytes.readUInt32BE(8) &&
      total <= MAX_MESSAGE_BYTES &&
      headers <= MAX_HEADER_BYTES &&
      total >= PRELUDE_BYTES + headers + CRC_BYTES;
    if (!valid) {
      this.#state = State.Failed;
      return;
    }
    this.#totalLength = total;
    this.#headersLength = headers;
    this.#crc = crc32(bytes);
    this.#state = State.Headers;
    if (headers === 0) this.#headers(Buffer.alloc(0));
  }

  #headers(bytes: Buffer): void {
    this.#crc = crc32(bytes, this.#crc);
    const headers = parseHeaders(bytes);
    if (!headers) {
      this.#state = State.Failed;
      return;
    }
    this.#sink = this.#onMessage(headers);
    this.#payloadLeft = this.#totalLength - PRELUDE_BYTES - this.#headersLength - CRC_BYTES;
    this.#state = this.#payloadLeft === 0 ? State.Crc : State.Payload;
  }
}

/** Sizes of the fixed-width header value types, by type id (bool true/false carry no bytes). */
const FIXED_SIZES: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };
const BYTES_TYPE = 6;
const STRING_TYPE = 7;

/** The string headers of a message, or undefined when the header block is malformed. */
function parseHeaders(bytes: Buffer): Map<string, string> | undefined {
  const headers = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes[at]!;
    const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    if (at >= bytes.length) return undefined;
    const type = bytes[at++]!;
    const fixed = FIXED_SIZES[type];
    if (fixed !== undefined) {
      at += fixed;
    } else if (type === BYTES_TYPE || type === STRING_TYPE) {
      if (at + 2 > bytes.length) return undefined;
      const length = bytes.readUInt16BE(at);
      at += 2;
      if (type === STRING_TYPE) headers.set(name, bytes.toString('utf8', at, at + length));
      at += length;
    } else {
      return undefined;
    }
    if (at > bytes.length) return undefined;
  }
  return headers;
}
