/** Receives the `data` of one server-sent event as it streams in. */
export interface EventDataSink {
  /** Bytes `[start, end)` of `chunk`; lines of a multi-line `data` are joined by `\n`. */
  write(chunk: Uint8Array, start: number, end: number): void;
  /** The event was dispatched (a blank line ended it). */
  end(): void;
}

/** Longest field name kept, bytes (`data`, `event`, `id` and `retry` are all shorter). */
const MAX_FIELD_BYTES = 8;
const NEWLINE = new Uint8Array([0x0a]);
const DATA = 'data';

const State = {
  Field: 0,
  /** Right after the colon: one optional space is skipped. */
  ValueStart: 1,
  Value: 2,
} as const;

/**
 * A streaming `text/event-stream` decoder that never holds a line: the field
 * name is at most a few bytes, and `data` values stream straight into a sink
 * made per event. An event cut before its blank line is never dispatched (as
 * EventSource does).
 */
export class SseDecoder {
  readonly #newEvent: () => EventDataSink;
  #state: number = State.Field;
  #field = '';
  #fieldOverflow = false;
  #event: EventDataSink | undefined;
  #dataLines = 0;
  #lastWasCr = false;

  /** `newEvent` is called at the first `data` line of each event. */
  constructor(newEvent: () => EventDataSink) {
    this.#newEvent = newEvent;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const end = chunk.length;
    while (i < end) {
      const c = chunk[i]!;
      if (this.#lastWasCr) {
        this.#lastWasCr = false;
        if (c === 0x0a) {
          i++;
          continue;
        }
      }
      if (this.#state === State.Value) {
        let j = i;
        while (j < end && chunk[j] !== 0x0a && chunk[j] !== 0x0d) j++;
        if (j > i && this.#field === DATA) this.#event?.write(chunk, i, j);
        i = j;
        if (i < end) this.#endLine(chunk[i++]!);
        continue;
      }
      i++;
      if (c === 0x0a || c === 0x0d) {
        this.#endLine(c);
        continue;
      }
      if (this.#state === State.ValueStart) {
        this.#state = State.Value;
        if (c !== 0x20) i--; // the first value byte: read it again as a value
        continue;
      }
      if (c === 0x3a) {
        this.#beginValue();
        continue;
      }
      if (this.#field.length < MAX_FIELD_BYTES) this.#field += String.fromCharCode(c);
      else this.#fieldOverflow = true;
    }
  }

  #beginValue(): void {
    this.#state = State.ValueStart;
    if (this.#fieldOverflow) this.#field = '';
    if (this.#field === DATA) this.#startDataLine();
  }

  #startDataLine(): void {
    if (this.#dataLines > 0) this.#event?.write(NEWLINE, 0, 1);
    else this.#event = this.#newEvent();
    this.#dataLines++;
  }

  #endLine(c: number): void {
    this.#lastWasCr = c === 0x0d;
    if (this.#state === State.Field) {
      if (this.#field === '' && !this.#fieldOverflow) {
        this.#dispatch();
      } else if (this.#field === DATA && !this.#fieldOverflow) {
        this.#startDataLine(); // `data` without a colon: an empty data line
      }
    }
    this.#state = State.Field;
    this.#field = '';
    this.#fieldOverflow = false;
  }

  #dispatch(): void {
    const event = this.#event;
    this.#event = undefined;
    this.#dataLines = 0;
    event?.end();
  }
}
