import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { federatedCredential } from './federated-credential.ts';
import { createLogger } from './logger.ts';
import type { OutgoingRequest } from './plugin.ts';
import { Redactor } from './redaction.ts';
import { createTestPlugin, TEST_EXCHANGE_HOP } from './testing/test-plugin.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

let tokens = 0;
function create(fail = false) {
  const redactor = new Redactor();
  return federatedCredential({
    minter: {
      mint: async () => ({
        token: `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.sig${++tokens}`,
        expiresAt: Date.now() + 300_000,
        claims: {},
      }),
    },
    redactor,
    logger: createLogger({ redactor, level: 'silent', destination: { write: () => {} } }),
    waitTimeoutMs: 5_000,
    plugin: createTestPlugin({
      exchange: async () => {
        if (fail) throw new Error('token service down');
        return { accessToken: `access-${tokens}`, expiresAt: Date.now() + 3_600_000 };
      },
    }),
    config: { tokenUrl: 'http://127.0.0.1:1/token', audience: 'aud' },
  });
}

function request(): OutgoingRequest {
  return { method: 'POST', origin: 'https://upstream.example', path: '/v1', headers: {} };
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('federatedCredential traces', () => {
  it('a request that waits: its span -> credential wait -> exchange -> each hop, one trace', async () => {
    const credential = create();
    const tracer = provider.getTracer('test');
    await tracer.startActiveSpan('request', async (span) => {
      await credential.attach(request());
      span.end();
    });
    credential.close();

    const spans = exporter.getFinishedSpans();
    const [root] = named(spans, 'request');
    const [wait] = named(spans, 'keyless.credential.wait');
    const [exchange] = named(spans, 'keyless.credential.exchange');
    const oidc = named(spans, 'keyless.hop.github-oidc');
    const hop = named(spans, `keyless.hop.${TEST_EXCHANGE_HOP}`);
    expect(parentOf(wait!)).toBe(root!.spanContext().spanId);
    expect(wait!.attributes).toMatchObject({ 'keyless.wait.reason': 'acquire' });
    expect(parentOf(exchange!)).toBe(wait!.spanContext().spanId);
    expect(oidc).toHaveLength(1);
    expect(hop).toHaveLength(1);
    expect(parentOf(oidc[0]!)).toBe(exchange!.spanContext().spanId);
    expect(parentOf(hop[0]!)).toBe(exchange!.spanContext().spanId);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    // No secret in any attribute: the token and the access token are nowhere.
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toMatch(/eyJ|access-/);
  });

  it('a request served from the cache makes no credential span', async () => {
    const credential = create();
    await context.with(ROOT_CONTEXT, () => credential.attach(request()));
    exporter.reset();
    await credential.attach(request());
    credential.close();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('an eager (background) exchange is a trace of its own, even inside a request context', async () => {
    const credential = create();
    const tracer = provider.getTracer('test');
    const span = tracer.startSpan('request');
    context.with(trace.setSpan(context.active(), span), () => credential.start());
    span.end();
    await expect
      .poll(() => named(exporter.getFinishedSpans(), 'keyless.credential.exchange'))
      .toHaveLength(1);
    credential.close();
    const [exchange] = named(exporter.getFinishedSpans(), 'keyless.credential.exchange');
    expect(parentOf(exchange!)).toBeUndefined();
    expect(exchange!.spanContext().traceId).not.toBe(span.spanContext().traceId);
  });

  it('a failed hop marks its span and the wait as errors with the error kind, not the message', async () => {
    const credential = create(true);
    await expect(credential.attach(request())).rejects.toThrow();
    credential.close();
    const spans = exporter.getFinishedSpans();
    const [hop] = named(spans, `keyless.hop.${TEST_EXCHANGE_HOP}`);
    const [wait] = named(spans, 'keyless.credential.wait');
    expect(hop!.status.code).toBe(2);
    expect(hop!.attributes['error.type']).toBe('Error');
    expect(wait!.status.code).toBe(2);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('down');
  });
});
