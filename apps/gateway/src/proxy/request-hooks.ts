import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FlavorName } from '../config/flavors.ts';
import { GATEWAY_ERRORS, type GatewayErrorCode } from './error-codes.ts';
import { AnswerRelay } from './answer-relay.ts';

/** A client request as hooks see it, on both transports. */
export interface ProxiedRequest {
  readonly route: string;
  readonly flavor: FlavorName;
  readonly method: string;
  /** Upstream path and query as sent. */
  readonly path: string;
  /** The client's headers (credentials included: never log them). */
  readonly headers: IncomingHttpHeaders;
  readonly body?: Buffer;
  readonly websocket: boolean;
  /** ms epoch. */
  readonly startedAt: number;
}

/** A hook's decision before a request leaves. */
export type HookVerdict =
  | {
      readonly refuse: GatewayErrorCode;
      readonly message: string;
      readonly headers?: Record<string, string>;
    }
  | { readonly body: Buffer };

/**
 * Sees the bytes of an answer as they pass to the client (HTTP body chunks, or
 * each upstream WebSocket message), never altering or delaying them. Bounded
 * memory is the observer's own duty.
 */
export interface AnswerObserver {
  data(chunk: Buffer): void;
  /** Called once: the answer ended whole, or was cut. */
  end(complete: boolean): void;
}

/**
 * The one seam for request policies and usage accounting, shared by HTTP
 * requests and WebSocket handshakes. Hooks run in order; a hook that throws
 * fails only its own request (before sending) or only its own observation
 * (after).
 */
export interface RequestHook {
  /** Before the credential is attached (and a signature computed): refuse, or replace the body. */
  beforeSend?(request: ProxiedRequest): HookVerdict | undefined;
  /**
   * Each message a client sends on an open WebSocket, before it is relayed
   * upstream (`request` is the handshake): refuse it (it is not relayed; the
   * client gets `refusalEvent(...)` and the socket stays open), or replace
   * its bytes (`body`).
   */
  beforeMessage?(request: ProxiedRequest, message: Buffer): HookVerdict | undefined;
  /** The answer that reaches the client (not a rejected one that was replayed). */
  onAnswer?(
    request: ProxiedRequest,
    answer: { readonly status: number; readonly headers: IncomingHttpHeaders },
  ): AnswerObserver | undefined;
}

/**
 * A refused WebSocket message, answered as the Responses API's WebSocket
 * error event (`{"type":"error","status":...,"error":{...}}`, the shape the
 * OpenAI SDKs raise) with the gateway's error code; `redact` as for any
 * gateway-made error.
 */
export function refusalEvent(
  refusal: Extract<HookVerdict, { refuse: GatewayErrorCode }>,
  redact: (text: string) => string,
): string {
  return JSON.stringify({
    type: 'error',
    status: GATEWAY_ERRORS[refusal.refuse],
    error: { type: 'keyless_error', code: refusal.refuse, message: redact(refusal.message) },
  });
}

/** What becomes of a client's WebSocket message: relayed (maybe replaced), or answered with an error event. */
export type MessageScreening = { readonly relay: Buffer } | { readonly reply: string };

/**
 * Runs the hooks' `beforeMessage` in order on a client's message: the first
 * refusal is answered to the client (the message is not relayed), a
 * replacement is what later hooks see and what is relayed. A hook that
 * throws refuses only that message, never the process.
 */
export function screenMessage(
  hooks: readonly RequestHook[],
  request: ProxiedRequest,
  message: Buffer,
  redact: (text: string) => string,
): MessageScreening {
  let relay = message;
  for (const hook of hooks) {
    let verdict: HookVerdict | undefined;
    try {
      verdict = hook.beforeMessage?.(request, relay);
    } catch {
      verdict = { refuse: 'bad_request', message: 'Keyless could not check this message' };
    }
    if (!verdict) continue;
    if ('refuse' in verdict) return { reply: refusalEvent(verdict, redact) };
    relay = verdict.body;
  }
  return { relay };
}

/** Feeds several observers; an observer that throws is dropped, never the relay. */
export function combineObservers(observers: readonly AnswerObserver[]): AnswerObserver | undefined {
  if (observers.length === 0) return undefined;
  const live = new Set(observers);
  const each = (call: (observer: AnswerObserver) => void) => {
    for (const observer of live) {
      try {
        call(observer);
      } catch {
        live.delete(observer);
      }
    }
  };
  let ended = false;
  return {
    data: (chunk) => each((observer) => observer.data(chunk)),
    end: (complete) => {
      if (ended) return;
      ended = true;
      each((observer) => observer.end(complete));
    },
  };
}

/**
 * `body` with `observer` fed every chunk as it passes to the client; ends the
 * observer once either way. The answer's own relay (the secret guard) carries
 * the observer when it has one, so no stage is added for it.
 */
export function observeBody(body: Readable, observer: AnswerObserver | undefined): Readable {
  if (!observer) return body;
  const relay = body instanceof AnswerRelay ? body : new AnswerRelay().from(body);
  return relay.observe(observer);
}
