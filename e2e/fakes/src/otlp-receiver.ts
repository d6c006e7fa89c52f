import { gunzipSync } from 'node:zlib';
import { pathOf, sendJson, startFakeServer, type FakeServer } from './fake-server.ts';

/** An attribute value as OTLP/JSON carries it. */
interface AnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  /** int64: a JSON number or a decimal string. */
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly AnyValue[] };
}

interface KeyValue {
  readonly key: string;
  readonly value?: AnyValue;
}

/** A plain attribute value: arrays become arrays, int64 a number. */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One span as the receiver got it, with plain attributes. */
export interface ReceivedSpan {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  /** The resource's attributes (`service.name`, ...). */
  readonly resource: Readonly<Record<string, AttributeValue>>;
  /** Instrumentation scope name. */
  readonly scope: string;
}

/** A fake OpenTelemetry collector: OTLP/HTTP with JSON bodies on `POST /v1/traces`. */
export interface OtlpReceiver extends FakeServer {
  /** Every span received, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** Each export request's body as text (decompressed), for secret scans. */
  readonly exports: string[];
  /** `{url}/v1/traces`, the value of OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  readonly tracesUrl: string;
}

/**
 * Starts an OTLP/HTTP trace receiver on 127.0.0.1 (port 0). It accepts JSON
 * (`application/json`, gzip or not) and answers protobuf with 415: the
 * gateway's exporter sends JSON. Faults of the fake server (status, drop,
 * delay) play an unreachable or failing collector.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: string[] = [];
  const server = await startFakeServer((request, res) => {
    if (request.method !== 'POST' || pathOf(request.url) !== '/v1/traces') {
      return sendJson(res, 404, { code: 5, message: 'not found' });
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendJson(res, 415, { code: 3, message: 'only OTLP/JSON is decoded here' });
    }
    const body =
      request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body;
    const text = body.toString('utf8');
    exports.push(text);
    spans.push(...decodeTraces(JSON.parse(text) as ExportTraceServiceRequest));
    sendJson(res, 200, { partialSuccess: {} });
  });
  return { ...server, spans, exports, tracesUrl: `${server.url}/v1/traces` };
}

interface ExportTraceServiceRequest {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans?: ReadonlyArray<{
      readonly scope?: { readonly name?: string };
      readonly spans?: ReadonlyArray<{
        readonly traceId: string;
        readonly spanId: string;
        readonly parentSpanId?: string;
        readonly name: string;
        readonly kind?: number;
        readonly attributes?: readonly KeyValue[];
        readonly status?: { readonly code?: number };
      }>;
    }>;
  }>;
}

/** The spans of one OTLP/JSON export request, flattened. */
export function decodeTraces(request: ExportTraceServiceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = plain(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind ?? 0,
        attributes: plain(span.attributes),
        statusCode: span.status?.code ?? 0,
        resource,
        scope: scopeSpans.scope?.name ?? '',
      })),
    );
  });
}

function plain(attributes: readonly KeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

function valueOf(value: AnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return null;
}
