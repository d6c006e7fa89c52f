import type { IncomingHttpHeaders } from 'node:http';
import { createUsageTap, requestModel } from '@keyless/usage';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { AnswerObserver } from '../proxy/request-hooks.ts';
import {
  isServerError,
  outcomeAttributes,
  requestAttributes,
  usageAttributes,
  type RequestOutcome,
  type TracedRequest,
} from './span-attributes.ts';
import type { WorkflowParent } from './telemetry-settings.ts';

/** Name of the server span of each proxied request. */
export const REQUEST_SPAN = 'keyless.request';

/** The W3C trace context headers the gateway owns on the upstream request. */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/** A request the pipeline forwards, as tracing sees it. */
export interface TracingRequest extends TracedRequest {
  /** The client's headers: only the trace context is read. */
  readonly headers: IncomingHttpHeaders;
  readonly body?: Buffer;
}

/** Traces the requests the pipeline forwards (present only when tracing is on). */
export interface RequestTracing {
  /** Opens a request's server span, continuing the client's `traceparent`. */
  start(request: TracingRequest): RequestSpan;
  /**
   * Writes the active span's context into an upstream request's headers as
   * `traceparent` / `tracestate`, replacing whatever the client sent.
   */
  inject(headers: Record<string, string>): void;
}

/** One request's server span. */
export interface RequestSpan {
  /** Runs `work` with the span active: credential waits and exchanges started in it nest under it. */
  within<T>(work: () => Promise<T>): Promise<T>;
  /** The answer that reaches the client; the span ends once it was relayed (or cut), with its usage. */
  answered(
    answer: { readonly status: number; readonly headers: IncomingHttpHeaders },
    outcome: RequestOutcome,
  ): AnswerObserver;
  /** The request ended without an answer to relay: a gateway error, or the client went away. */
  ended(outcome: RequestOutcome): void;
}

export interface RequestTracingOptions {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  /** Applied to every string recorded from a request. */
  readonly redact: (text: string) => string;
  /** Parent of requests that bring no trace context. */
  readonly workflowParent?: WorkflowParent;
}

/** Request tracing on an OpenTelemetry tracer and a W3C trace context propagator. */
export function createRequestTracing({
  tracer,
  propagator,
  redact,
  workflowParent,
}: RequestTracingOptions): RequestTracing {
  const fallback = workflowParent
    ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: workflowParent.traceId,
        spanId: workflowParent.spanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      })
    : ROOT_CONTEXT;

  const parentOf = (headers: IncomingHttpHeaders): Context => {
    const extracted = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return trace.getSpanContext(extracted) ? extracted : fallback;
  };

  return {
    start(request) {
      const model = requestModel(request.path, request.body);
      const span = tracer.startSpan(
        REQUEST_SPAN,
        {
          kind: SpanKind.SERVER,
          attributes: {
            ...requestAttributes(request, redact),
            ...(model === undefined ? {} : { 'gen_ai.request.model': redact(model) }),
          },
        },
        parentOf(request.headers),
      );
      const active = trace.setSpan(context.active(), span);
      let ended = false;
      const end = (outcome: RequestOutcome, more: Record<string, boolean> = {}) => {
        if (ended) return;
        ended = true;
        span.setAttributes({ ...outcomeAttributes(outcome), ...more });
        if (isServerError(outcome.status)) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      return {
        within: (work) => context.with(active, work),
        ended: (outcome) => end(outcome),
        answered(answer, outcome) {
          const counted = answer.status === 101 || (answer.status >= 200 && answer.status < 300);
          const tap = counted
            ? createUsageTap({
                flavor: request.provider,
                path: request.path,
                websocket: request.websocket,
                headers: answer.headers,
                ...(request.body ? { requestBody: request.body } : {}),
              })
            : undefined;
          return {
            data: (chunk) => tap?.write(chunk),
            end: (complete) => {
              if (!tap) return end(outcome, { 'keyless.answer.complete': complete });
              // The span ends once the counts are known (the tap's end never rejects).
              tap
                .end()
                .then((report) => span.setAttributes(usageAttributes(report, redact)))
                .finally(() => end(outcome, { 'keyless.answer.complete': complete }))
                .catch(() => undefined);
            },
          };
        },
      };
    },
    inject(headers) {
      for (const name of TRACE_HEADERS) delete headers[name];
      propagator.inject(context.active(), headers, defaultTextMapSetter);
    },
  };
}
