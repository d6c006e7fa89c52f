import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type {
  Attachment,
  CredentialMetrics,
  OutgoingRequest,
  Redactor,
  RouteCredential,
} from '@keyless/auth-core';
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/gateway-config.ts';
import type { GatewayMetrics } from '../server/gateway-metrics.ts';
import { admit } from './admission.ts';
import { credentialUnavailable } from './credential-unavailable.ts';
import { attachedValues } from './credential-secrets.ts';
import type { GatewayErrorCode } from './error-codes.ts';
import { gatewayError, type GatewayErrorResponse } from './gateway-errors.ts';
import { forwardedRequestHeaders } from './header-hygiene.ts';
import { readPrefix, type Peeked } from './read-prefix.ts';
import {
  combineObservers,
  screenMessage,
  type AnswerObserver,
  type MessageScreening,
  type ProxiedRequest,
  type RequestHook,
} from './request-hooks.ts';
import { scrubAnswer } from './scrub-answer.ts';
import { SecretMatcherCache } from './secret-matcher-cache.ts';
import type { RequestSpan, RequestTracing } from '../telemetry/request-tracing.ts';

/** Status recorded for a request whose client went away before its answer (nginx's convention). */
export const CLIENT_CLOSED = 499;

/** Error answers read to classify a 401/403 are small; the client still gets the whole body. */
export const CLASSIFY_PREFIX_BYTES = 64 * 1024;

/** What the upstream answered: an HTTP response, or a WebSocket handshake's answer. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The answer's body (empty for a 101). Whoever takes the answer consumes or destroys it. */
  readonly body: Readable;
}

/**
 * Sends one prepared request upstream: the only transport-specific step.
 * `body` is the body to send (a hook may have replaced the client's).
 */
export type SendUpstream = (
  request: OutgoingRequest,
  body: Buffer | undefined,
) => Promise<UpstreamAnswer>;

/** A client request the pipeline admitted. */
export interface AdmittedRequest {
  readonly method: string;
  /** Upstream path and query, byte for byte. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: Buffer;
  readonly websocket: boolean;
}

/** What happened to a request, for its log line and metrics. */
export interface ForwardTrace {
  replayed: boolean;
  upstreamStatus?: number;
  /** When the credential used was obtained, ms epoch. */
  credentialAcquiredAt?: number;
}

export type ForwardResult =
  | {
      readonly kind: 'answer';
      readonly answer: UpstreamAnswer;
      /** Fed by the transport with what reaches the client (body chunks or WebSocket messages). */
      readonly observer: AnswerObserver | undefined;
      /** The hooks' say on each later client message of this request (a WebSocket session). */
      readonly screenMessage: (message: Buffer) => MessageScreening;
    }
  | { readonly kind: 'error'; readonly error: GatewayErrorResponse }
  /** The client went away first: nothing is answered. */
  | { readonly kind: 'aborted' };

export interface PipelineDeps {
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly credentialMetrics: CredentialMetrics;
  /** Upstream latency, recorded here for both transports. */
  readonly metrics: Pick<GatewayMetrics, 'upstreamLatency'>;
  readonly clientKey: string | undefined;
  /** Request policies and usage accounting, in order. */
  readonly hooks: readonly RequestHook[];
  /** Traces each forwarded request; absent when tracing is off (then nothing is traced). */
  readonly tracing?: RequestTracing;
}

/**
 * One route's request pipeline, shared by HTTP requests and WebSocket
 * handshakes: admission (target, client key) -> header hygiene -> credential
 * attach -> send -> classify the answer (401, expired 403, read from a bounded
 * prefix) -> renew -> replay once -> the answer with the credential scrubbed
 * out. Only sending and relaying differ between the transports.
 */
export class RoutePipeline {
  readonly #route: RouteConfig;
  readonly #credential: RouteCredential | undefined;
  readonly #deps: PipelineDeps;
  readonly #host: string;
  readonly #redact: (text: string) => string;
  readonly #matchers: SecretMatcherCache;

  /** `credential` is undefined for a route that is not configured. */
  constructor(route: RouteConfig, credential: RouteCredential | undefined, deps: PipelineDeps) {
    this.#route = route;
    this.#credential = credential;
    this.#deps = deps;
    this.#host = new URL(route.upstream.origin).host;
    this.#redact = (text) => deps.redactor.redact(text);
    this.#matchers = new SecretMatcherCache((value) => deps.redactor.secretsIn(value));
  }

  /** True when the credential signs each request's exact bytes (no WebSocket upgrades then). */
  get signsBody(): boolean {
    return this.#credential?.signsBody ?? false;
  }

  /** A gateway-made error in the route's shape, redacted. */
  error(code: GatewayErrorCode, message: string, headers?: Record<string, string>) {
    return gatewayError(this.#route.flavor, this.#redact, code, message, headers);
  }

  /** The upstream path of an acceptable request, or the error that refuses it. */
  admit(rawTarget: string, headers: IncomingHttpHeaders): string | GatewayErrorResponse {
    const route = this.#route;
    if (route.auth.kind === 'unconfigured') {
      return this.error(
        'route_not_configured',
        `route ${route.name} is not configured: set ${route.auth.configuredBy}`,
      );
    }
    const admission = admit(rawTarget, headers, route.upstream, {
      key: this.#deps.clientKey,
      headers: route.flavor.clientKeyHeaders,
    });
    return 'refuse' in admission ? this.error(admission.refuse, admission.message) : admission.path;
  }

  /**
   * Forwards an admitted request: at most one upstream request, plus one replay
   * when the upstream rejects a renewable credential. `signal` aborts when the
   * client goes away; a client gone while a rejection is read renews nothing.
   */
  async forward(
    request: AdmittedRequest,
    send: SendUpstream,
    signal: AbortSignal,
    trace: ForwardTrace,
  ): Promise<ForwardResult> {
    const tracing = this.#deps.tracing;
    if (!tracing) return this.#forward(request, send, signal, trace);
    const span = tracing.start({
      route: this.#route.name,
      provider: this.#route.flavor.name,
      credential: this.#credential!.provider,
      method: request.method,
      path: request.path,
      websocket: request.websocket,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
    });
    try {
      return traced(
        span,
        await span.within(() => this.#forward(request, send, signal, trace)),
        trace,
      );
    } catch (error) {
      span.ended({ status: 500, replayed: trace.replayed });
      throw error;
    }
  }

  async #forward(
    request: AdmittedRequest,
    send: SendUpstream,
    signal: AbortSignal,
    trace: ForwardTrace,
  ): Promise<ForwardResult> {
    const credential = this.#credential!;
    let proxied: ProxiedRequest = {
      ...request,
      route: this.#route.name,
      flavor: this.#route.flavor.name,
      startedAt: Date.now(),
    };
    for (const hook of this.#deps.hooks) {
      const verdict = hook.beforeSend?.(proxied);
      if (!verdict) continue;
      if ('refuse' in verdict) {
        return {
          kind: 'error',
          error: this.error(verdict.refuse, verdict.message, verdict.headers),
        };
      }
      request = { ...request, body: verdict.body };
      proxied = { ...proxied, body: verdict.body };
    }
    for (const attempt of ['first', 'replay'] as const) {
      const outgoing = this.#outgoing(request, credential.signsBody);
      this.#deps.tracing?.inject(outgoing.headers);
      const before = { ...outgoing.headers };
      let attachment: Attachment;
      try {
        attachment = await credential.attach(outgoing);
      } catch (error) {
        return { kind: 'error', error: this.#unavailable(error) };
      }
      trace.credentialAcquiredAt = attachment.acquiredAt;
      if (signal.aborted) return ABORTED;

      let answer: UpstreamAnswer;
      const sentAt = performance.now();
      try {
        answer = await send(outgoing, request.body);
      } catch (error) {
        return signal.aborted ? ABORTED : { kind: 'error', error: this.#failed(error) };
      }
      // To the response headers (HTTP) or the handshake's answer (WebSocket), replays included.
      this.#deps.metrics.upstreamLatency.observe(
        { route: this.#route.name },
        (performance.now() - sentAt) / 1000,
      );
      trace.upstreamStatus = answer.status;
      const matcher = this.#matchers.matcherFor(attachedValues(before, outgoing.headers));

      if (attempt === 'first' && credential.renewable && isRejectionStatus(answer.status)) {
        let peeked: Peeked;
        try {
          peeked = await readPrefix(answer.body, CLASSIFY_PREFIX_BYTES);
        } catch (error) {
          return signal.aborted ? ABORTED : { kind: 'error', error: this.#failed(error) };
        }
        if (signal.aborted) {
          peeked.body.destroy();
          return ABORTED;
        }
        const text = peeked.prefix.toString('utf8');
        if (this.#route.flavor.rejectsCredential(answer.status, answer.headers, text)) {
          peeked.body.destroy();
          this.#deps.logger.info(
            { event: 'credential.rejected', upstreamStatus: answer.status },
            'upstream rejected the credential; renewing and replaying once',
          );
          try {
            await credential.renew(attachment);
          } catch (error) {
            return { kind: 'error', error: this.#unavailable(error) };
          }
          if (signal.aborted) return ABORTED;
          this.#deps.credentialMetrics.recordReplay(this.#route.name, credential.provider);
          trace.replayed = true;
          continue;
        }
        answer = { ...answer, body: peeked.body };
      }
      const scrubbed = scrubAnswer(answer, matcher);
      const observer = combineObservers(
        this.#deps.hooks.flatMap((hook) => hook.onAnswer?.(proxied, scrubbed) ?? []),
      );
      const screen = (message: Buffer) =>
        screenMessage(this.#deps.hooks, proxied, message, this.#redact);
      return { kind: 'answer', answer: scrubbed, observer, screenMessage: screen };
    }
    throw new Error('unreachable: the replay returns');
  }

  #outgoing(request: AdmittedRequest, signsBody: boolean): OutgoingRequest {
    const route = this.#route;
    const headers = forwardedRequestHeaders(request.headers);
    for (const [name, value] of Object.entries(route.flavor.defaultHeaders))
      headers[name] ??= value;
    Object.assign(headers, route.extraHeaders);
    headers.host = this.#host;
    if (request.body?.length) headers['content-length'] = String(request.body.length);
    return {
      method: request.method,
      origin: route.upstream.origin,
      path: request.path,
      headers,
      ...(signsBody ? { body: request.body ?? new Uint8Array() } : {}),
    };
  }

  #unavailable(error: unknown): GatewayErrorResponse {
    const { message, headers } = credentialUnavailable(
      this.#route.name,
      error,
      this.#deps.redactor,
    );
    this.#deps.logger.warn({ event: 'credential.unavailable', message }, 'credential unavailable');
    return this.error('credential_unavailable', message, headers);
  }

  #failed(error: unknown): GatewayErrorResponse {
    const message = `upstream ${this.#route.upstream.origin}: ${this.#deps.redactor.describe(error)}`;
    this.#deps.logger.warn({ event: 'upstream.error', message }, 'upstream request failed');
    return this.error(isTimeout(error) ? 'upstream_timeout' : 'upstream_unreachable', message);
  }
}

const ABORTED = { kind: 'aborted' } as const;

/** `result` with its span ended, or set to end with the answer it relays. */
function traced(span: RequestSpan, result: ForwardResult, trace: ForwardTrace): ForwardResult {
  const outcome = { replayed: trace.replayed, upstreamStatus: trace.upstreamStatus };
  if (result.kind === 'aborted') {
    span.ended({ ...outcome, status: CLIENT_CLOSED });
    return result;
  }
  if (result.kind === 'error') {
    const { status, headers } = result.error;
    span.ended({ ...outcome, status, errorCode: headers['x-keyless-error'] });
    return result;
  }
  const { status } = result.answer;
  const observer = span.answered(result.answer, { ...outcome, status });
  return { ...result, observer: combineObservers([result.observer, observer].filter((o) => !!o)) };
}

function isRejectionStatus(status: number): boolean {
  return status === 401 || status === 403;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function isTimeout(error: unknown): boolean {
  const { code, name, message } = (error ?? {}) as {
    code?: string;
    name?: string;
    message?: string;
  };
  return (
    (code !== undefined && TIMEOUT_CODES.has(code)) ||
    name === 'TimeoutError' ||
    /timed out/i.test(message ?? '')
  );
}
