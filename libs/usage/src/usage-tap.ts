import { EventStreamDecoder } from './eventstream-decoder.ts';
import { createDecoder, type ByteSink } from './decoder.ts';
import { requestModel } from './request-model.ts';
import { SseDecoder } from './sse-decoder.ts';
import type { TokenKind, TokenUsage } from './token-usage.ts';
import { UsageAccumulator, type DocumentReader } from './usage-accumulator.ts';
import { wireShapeFor, type AnswerRoute, type WireShape } from './wire-shapes.ts';

/** Header values as Node gives them. */
export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** An answer about to stream to the client, and the request it answers. */
export interface TappedAnswer extends AnswerRoute {
  /** The answer's headers (content type, content encoding, count headers). */
  readonly headers: Headers;
  /** The request body, read for a model name when the path has none. */
  readonly requestBody?: Uint8Array;
}

/** What an answer reported, once it ended. */
export interface UsageReport {
  /** The wire shape read, e.g. `anthropic-messages`. */
  readonly shape: string;
  readonly usage: TokenUsage;
  /** False when the answer carried no count (e.g. chat SSE without `stream_options.include_usage`, or a cut stream). */
  readonly reported: boolean;
  /** The request's model, else the answer's, else undefined. */
  readonly model: string | undefined;
  /** SSE, event stream or WebSocket (as the api-proxy counts it). */
  readonly streaming: boolean;
  /** Bytes of the answer as relayed (before decompression). */
  readonly bytes: number;
}

/**
 * Reads usage from an answer's bytes as they pass, holding only bounded
 * state: the caller keeps relaying every chunk unchanged and unbuffered.
 */
export interface UsageTap {
  /** Bytes relayed to the client: a body chunk, or one whole WebSocket message. */
  write(chunk: Uint8Array): void;
  /** The answer ended (whole or cut); resolves once a decompressor drained, never rejects. */
  end(): Promise<UsageReport>;
}

const EVENT_STREAM = 'application/vnd.amazon.eventstream';

/**
 * A usage tap for an answer of a model call, or undefined when the answer is
 * no model call (its usage is not accounted) or its encoding is unknown.
 */
export function createUsageTap(answer: TappedAnswer): UsageTap | undefined {
  const shape = wireShapeFor(answer);
  if (!shape) return undefined;
  const contentType = header(answer.headers, 'content-type')?.toLowerCase() ?? '';
  const accumulator = new UsageAccumulator(answer.websocket ? 'sum' : 'latest');
  const framing = answer.websocket
    ? messages(accumulator, shape)
    : contentType.startsWith('text/event-stream')
      ? serverSentEvents(accumulator, shape)
      : contentType.startsWith(EVENT_STREAM)
        ? eventStream(accumulator, shape)
        : jsonBody(accumulator, shape);
  const decoder = createDecoder(
    answer.websocket ? undefined : header(answer.headers, 'content-encoding'),
    framing,
  );
  if (!decoder) return undefined;
  const streaming =
    answer.websocket ||
    contentType.startsWith('text/event-stream') ||
    contentType.startsWith(EVENT_STREAM);
  const model = requestModel(answer.path, answer.requestBody);
  let bytes = 0;
  let ended: Promise<UsageReport> | undefined;
  return {
    write(chunk) {
      if (ended) return;
      bytes += chunk.length;
      decoder.write(chunk);
    },
    end() {
      ended ??= decoder.end().then(() => {
        framing.end();
        const counts = headerCounts(answer.headers, shape);
        if (counts.size > 0) accumulator.commit(counts);
        return {
          shape: shape.name,
          usage: accumulator.usage,
          reported: accumulator.reported,
          model: model ?? accumulator.model,
          streaming,
          bytes,
        };
      });
      return ended;
    },
  };
}

/** Decoded answer bytes in, documents out. */
interface Framing extends ByteSink {
  /** No more bytes: a JSON body commits what it read; a cut event or frame is dropped. */
  end(): void;
}

function jsonBody(accumulator: UsageAccumulator, shape: WireShape): Framing {
  const document = accumulator.document(shape.rules);
  return {
    write: (chunk) => document.write(chunk, 0, chunk.length),
    end: () => document.end(true),
  };
}

function serverSentEvents(accumulator: UsageAccumulator, shape: WireShape): Framing {
  const decoder = new SseDecoder(() => {
    const document = accumulator.document(shape.rules);
    return {
      write: (chunk, start, end) => document.write(chunk, start, end),
      end: () => document.end(true),
    };
  });
  return { write: (chunk) => decoder.write(chunk), end: () => {} };
}

function eventStream(accumulator: UsageAccumulator, shape: WireShape): Framing {
  const decoder = new EventStreamDecoder((headers) => {
    // Exceptions (throttling, validation) carry no usage.
    if (headers.get(':message-type') !== 'event') return undefined;
    const document: DocumentReader = accumulator.document(shape.rules);
    return {
      write: (chunk, start, end) => document.write(chunk, start, end),
      end: (valid) => document.end(valid),
    };
  });
  return { write: (chunk) => decoder.write(chunk), end: () => {} };
}

/** WebSocket: each upstream message is one JSON event. */
function messages(accumulator: UsageAccumulator, shape: WireShape): Framing {
  return {
    write: (message) => {
      const document = accumulator.document(shape.rules);
      document.write(message, 0, message.length);
      document.end(true);
    },
    end: () => {},
  };
}

function headerCounts(headers: Headers, shape: WireShape): Map<TokenKind, number> {
  const counts = new Map<TokenKind, number>();
  for (const [name, kind] of shape.headers ?? []) {
    const value = header(headers, name);
    if (value !== undefined && /^\d{1,15}$/.test(value.trim()))
      counts.set(kind, Number(value.trim()));
  }
  return counts;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
