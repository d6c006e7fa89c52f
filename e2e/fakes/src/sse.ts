import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeServer, RecordedRequest } from './fake-server.ts';

/** One server-sent event; `data` is sent as is when a string, else as JSON. */
export interface SseEvent {
  readonly event?: string;
  readonly data: unknown;
}

/** Counters a {@link StreamControl} keeps. */
export type StreamCounter = 'started' | 'held' | 'completed' | 'aborted';

/**
 * Paces the streams of one fake upstream, so that a test can watch chunks arrive one by one
 * and detect a client abort. Settings may be changed between (and during) requests.
 */
export interface StreamControl {
  /** Pause before every chunk after the first, ms (default 0). */
  gapMs: number;
  /** After this many chunks, wait for {@link release} before sending the rest (undefined: never hold). */
  holdAfter: number | undefined;
  /** Lets every currently held stream go on; later streams hold again while `holdAfter` is set. */
  release(): void;
  /** Streams whose headers were sent. */
  readonly started: number;
  /** Streams that reached their hold point (a released stream stays counted). */
  readonly held: number;
  /** Streams that sent their last chunk and ended. */
  readonly completed: number;
  /** Streams whose response the peer closed before they finished (a client abort seen upstream). */
  readonly aborted: number;
  /** Resolves once `counter` has reached `count` (default 1); at once if it already has. */
  waitFor(counter: StreamCounter, count?: number): Promise<void>;
  /**
   * Sends status 200 with `headers`, then `chunks` one write each, paced by this control, and ends.
   * Stops (and counts an abort) as soon as the peer closes the response.
   */
  write(
    res: http.ServerResponse,
    headers: http.OutgoingHttpHeaders,
    chunks: readonly (string | Uint8Array)[],
  ): Promise<void>;
}

/** Initial {@link StreamControl} settings. */
export interface StreamOptions {
  /** ms between chunks (default 0). */
  readonly gapMs?: number;
  /** Hold each stream after this many chunks until released. */
  readonly holdAfter?: number;
}

/** Creates the pacing control of one fake's streams. */
export function createStreamControl(options: StreamOptions = {}): StreamControl {
  const counts: Record<StreamCounter, number> = { started: 0, held: 0, completed: 0, aborted: 0 };
  const waiters: { counter: StreamCounter; count: number; resolve: () => void }[] = [];
  let gate = createGate();

  const bump = (counter: StreamCounter) => {
    counts[counter] += 1;
    for (const waiter of waiters.filter(
      (w) => w.counter === counter && counts[counter] >= w.count,
    )) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const control: StreamControl = {
    gapMs: options.gapMs ?? 0,
    holdAfter: options.holdAfter,
    release() {
      gate.release();
      gate = createGate();
    },
    get started() {
      return counts.started;
    },
    get held() {
      return counts.held;
    },
    get completed() {
      return counts.completed;
    },
    get aborted() {
      return counts.aborted;
    },
    waitFor(counter, count = 1) {
      if (counts[counter] >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ counter, count, resolve }));
    },
    async write(res, headers, chunks) {
      let finished = false;
      // Aborted when the peer goes away, so that no gap timer outlives the stream.
      const peerGone = new AbortController();
      const closed = new Promise<void>((resolve) =>
        res.once('close', () => {
          if (!finished) bump('aborted');
          peerGone.abort();
          resolve();
        }),
      );
      res.writeHead(200, headers);
      res.flushHeaders();
      bump('started');
      for (const [index, chunk] of chunks.entries()) {
        if (index > 0 && control.holdAfter === index) {
          bump('held');
          await Promise.race([gate.opened, closed]);
        }
        if (index > 0 && control.gapMs > 0) {
          await sleep(control.gapMs, undefined, { signal: peerGone.signal }).catch(() => {});
        }
        if (res.destroyed) return;
        res.write(chunk);
      }
      finished = true;
      res.end();
      bump('completed');
    },
  };
  return control;
}

function createGate(): { opened: Promise<void>; release: () => void } {
  let release = () => {};
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

/** Formats events as an SSE body, one string per event. */
export function sseChunks(events: readonly SseEvent[], lineEnd = '\n'): string[] {
  return events.map(({ event, data }) => {
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    return `${event === undefined ? '' : `event: ${event}${lineEnd}`}data: ${payload}${lineEnd}${lineEnd}`;
  });
}

/** Response headers of an SSE stream. */
export const SSE_HEADERS: http.OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** Options shared by the fake model upstreams. */
export interface FakeUpstreamOptions extends StreamOptions {
  /** PEM key and certificate (see `createTestCa().issue()`): serve HTTPS. */
  readonly tls?: { key: string; cert: string };
  /** Text of every answer: streamed one piece per chunk, joined for JSON answers. */
  readonly chunks?: readonly string[];
  /**
   * Decides whether a request's credential is good; a refused request gets 401 in the
   * provider's error shape. Default: every request is accepted (and recorded).
   */
  readonly authorize?: (request: RecordedRequest) => boolean;
}

/** A fake model upstream: the recording server plus the pacing of its streams. */
export interface FakeUpstream extends FakeServer {
  readonly stream: StreamControl;
}

/** What a fake model answers: the model name, the text pieces and the prompt size. */
export interface FakeReply {
  readonly model: string;
  /** Text of the answer, one piece per streamed delta. */
  readonly pieces: readonly string[];
  /** Prompt tokens reported in usage. */
  readonly inputTokens: number;
}

/** Answer text used when `chunks` is not given. */
export const DEFAULT_CHUNKS: readonly string[] = ['Hello', ' from', ' the', ' fake', ' upstream.'];

/** A rough token count (4 bytes per token), for usage fields. */
export function tokensOf(bytes: { length: number }): number {
  return Math.max(1, Math.ceil(bytes.length / 4));
}

/** Parses a JSON request body into an object; undefined when it is not a JSON object. */
export function jsonBody(request: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(request.body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A random id with a provider-style prefix. */
export function fakeId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}
