import type { UsageReport } from '@keyless/usage';
import type { Attributes } from '@opentelemetry/api';

/** Longest path recorded, characters. */
export const MAX_PATH_CHARS = 512;

/** A request as its server span describes it. */
export interface TracedRequest {
  readonly route: string;
  /** The route's wire flavor, as in the metrics and the token log. */
  readonly provider: string;
  /** Where the credential comes from: `static` or the provider plugin. */
  readonly credential: string;
  readonly method: string;
  /** Upstream path and query as sent; only the path is recorded. */
  readonly path: string;
  readonly websocket: boolean;
}

/** How a request ended, as its server span records it. */
export interface RequestOutcome {
  /** Status the client got (101 for an opened WebSocket, 499 when the client went away). */
  readonly status: number;
  readonly replayed: boolean;
  readonly upstreamStatus?: number;
  /** The gateway's error code (`credential_unavailable`, ...) when the gateway answered itself. */
  readonly errorCode?: string;
}

/**
 * The attributes a server span starts with. Never a header, a query string
 * or a body: the path without its query, redacted and bounded, is the most
 * of the request that is recorded.
 */
export function requestAttributes(
  request: TracedRequest,
  redact: (text: string) => string,
): Attributes {
  return {
    'http.request.method': request.method,
    'url.path': redact(request.path.split('?', 1)[0]!).slice(0, MAX_PATH_CHARS),
    'keyless.route': request.route,
    'keyless.provider': request.provider,
    'keyless.credential.provider': request.credential,
    'keyless.websocket': request.websocket,
  };
}

/** The attributes of a request's end. */
export function outcomeAttributes(outcome: RequestOutcome): Attributes {
  return {
    'http.response.status_code': outcome.status,
    'keyless.replayed': outcome.replayed,
    ...(outcome.upstreamStatus === undefined
      ? {}
      : { 'keyless.upstream.status_code': outcome.upstreamStatus }),
    ...(outcome.errorCode === undefined
      ? {}
      : { 'keyless.error.code': outcome.errorCode, 'error.type': outcome.errorCode }),
  };
}

/** Model and token counts of an answer, in the GenAI semantic conventions' names. */
export function usageAttributes(report: UsageReport, redact: (text: string) => string): Attributes {
  return {
    ...(report.model === undefined ? {} : { 'gen_ai.request.model': redact(report.model) }),
    'keyless.streaming': report.streaming,
    'keyless.usage.reported': report.reported,
    ...(report.reported
      ? {
          'gen_ai.usage.input_tokens': report.usage.input,
          'gen_ai.usage.output_tokens': report.usage.output,
          'gen_ai.usage.cache_read.input_tokens': report.usage.cacheRead,
          'gen_ai.usage.cache_creation.input_tokens': report.usage.cacheWrite,
        }
      : {}),
  };
}

/** A span is an error when the gateway or the upstream failed (5xx), not for client errors. */
export function isServerError(status: number): boolean {
  return status >= 500;
}
