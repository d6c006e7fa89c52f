import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.ts';

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('decodes what the official OTLP/HTTP exporter sends: ids, parents, kinds, typed attributes, status', async () => {
    const provider = new TracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new OTLPTraceExporter({
            url: receiver.tracesUrl,
            headers: { 'x-collector-key': 'sent-as-header' },
          }),
        }),
      ],
    });
    const tracer = provider.getTracer('receiver-test');
    const parent = tracer.startSpan('parent', {
      kind: SpanKind.SERVER,
      attributes: { 'a.string': 'text', 'a.int': 42, 'a.bool': true, 'a.double': 0.5 },
    });
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end();
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();

    expect(receiver.spans.map((span) => span.name).sort()).toEqual(['child', 'parent']);
    const p = receiver.spans.find((span) => span.name === 'parent')!;
    const c = receiver.spans.find((span) => span.name === 'child')!;
    expect(p.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(p.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(p.traceId).toBe(parent.spanContext().traceId);
    expect(p.parentSpanId).toBe('');
    expect(c.parentSpanId).toBe(p.spanId);
    expect(c.traceId).toBe(p.traceId);
    expect(p.kind).toBe(2);
    expect(p.attributes).toEqual({
      'a.string': 'text',
      'a.int': 42,
      'a.bool': true,
      'a.double': 0.5,
    });
    expect(c.statusCode).toBe(2);
    expect(p.scope).toBe('receiver-test');
    expect(p.resource['service.name']).toEqual(expect.any(String));
    expect(receiver.exports.join('\n')).toContain('"a.string"');
    const request = receiver.requests.at(-1)!;
    expect(request.headers['x-collector-key']).toBe('sent-as-header');
  });

  it('refuses protobuf and other paths without recording spans', async () => {
    const before = receiver.spans.length;
    const proto = await fetch(receiver.tracesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(proto.status).toBe(415);
    const other = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect(receiver.spans).toHaveLength(before);
  });
});
