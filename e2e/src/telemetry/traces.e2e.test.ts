import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findLeaksInAnyForm } from '../harness/canary.ts';
import { startEngineRig, type EngineRig } from '../engine/engine-rig.ts';

/** The collector's API key: a secret the gateway must never put anywhere but the export request. */
const COLLECTOR_KEY = 'otlp-collector-key-canary-7f3a9c2e51d4';
/** The client's trace: the gateway continues it. */
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
/** Past the credential engine's minimum refresh interval (1 s), so a renewal starts at once. */
const PAST_MIN_REFRESH_MS = 1_100;

async function chat(rig: EngineRig, headers: Record<string, string> = {}) {
  const response = await fetch(`${rig.gateway.url('openai')}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer placeholder-key',
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await response.text();
  rig.responses.push(text);
  return { status: response.status, text };
}

describe('OpenTelemetry traces of the real gateway process', () => {
  let rig: EngineRig;
  let receiver: OtlpReceiver;
  let upstreamBefore: number;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    rig = await startEngineRig();
    await rig.startGateway({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-collector-key=${COLLECTOR_KEY}`,
      OTEL_SERVICE_NAME: 'keyless-e2e',
    });
    await vi.waitFor(() => expect(rig.events('credential.acquired')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, PAST_MIN_REFRESH_MS));
    // The upstream rejects the current token: the request waits for a renewal it starts itself.
    rig.service.revoke(rig.service.issued.at(-1)!.token);
    upstreamBefore = rig.upstream.requests.length;
    const answer = await chat(rig, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect(answer.status).toBe(200);
    // SIGTERM flushes the spans still queued.
    expect(await rig.stopGateway()).toBe(0);
  });
  afterAll(async () => {
    await rig?.close();
    await receiver?.close();
  });

  const named = (name: string) => receiver.spans.filter((span) => span.name === name);
  const childrenOf = (parent: ReceivedSpan, name: string) =>
    named(name).filter(
      (span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId,
    );
  const request = () => {
    const spans = named('keyless.request');
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };

  it("continues the client's trace: server span -> credential wait -> exchange -> each hop", () => {
    const server = request();
    expect(server.traceId).toBe(CLIENT_TRACE);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.kind).toBe(2);
    expect(server.resource['service.name']).toBe('keyless-e2e');

    const [wait] = childrenOf(server, 'keyless.credential.wait');
    expect(wait?.attributes).toMatchObject({
      'keyless.wait.reason': 'renew',
      'keyless.credential.provider': 'test',
    });
    const [exchange] = childrenOf(wait!, 'keyless.credential.exchange');
    expect(exchange).toBeDefined();
    expect(childrenOf(exchange!, 'keyless.hop.github-oidc')).toHaveLength(1);
    expect(childrenOf(exchange!, 'keyless.hop.test-sts')).toHaveLength(1);
  });

  it('records route, method, status, replay, model and token counts on the server span', () => {
    expect(request().attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/v1/chat/completions',
      'http.response.status_code': 200,
      'keyless.route': 'openai',
      'keyless.provider': 'openai',
      'keyless.replayed': true,
      'keyless.upstream.status_code': 200,
      'gen_ai.request.model': 'gpt-fake',
      'keyless.usage.reported': true,
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
    });
    expect(request().attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it("sends the upstream the gateway span's context, replacing the client's traceparent", () => {
    const server = request();
    const sent = rig.upstream.requests.slice(upstreamBefore);
    // The rejected first attempt and the replay.
    expect(sent).toHaveLength(2);
    for (const upstreamRequest of sent) {
      expect(upstreamRequest.headers.traceparent).toBe(`00-${CLIENT_TRACE}-${server.spanId}-01`);
    }
  });

  it('exports the eager first exchange as a trace of its own', () => {
    const roots = named('keyless.credential.exchange').filter((span) => span.parentSpanId === '');
    expect(roots.length).toBeGreaterThanOrEqual(1);
    expect(roots.every((span) => span.traceId !== CLIENT_TRACE)).toBe(true);
  });

  it('puts no secret in any exported span, and the collector key nowhere in the output', () => {
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(
      findLeaksInAnyForm({ spans: receiver.exports.join('\n') }, [
        ...rig.secrets(),
        COLLECTOR_KEY,
        'placeholder-key',
      ]),
    ).toEqual([]);
    expect(rig.gateway.output()).not.toContain(COLLECTOR_KEY);
    expect(rig.leaks()).toEqual([]);
    // The collector did get its key, in the export request's header only.
    expect(receiver.requests.at(-1)!.headers['x-collector-key']).toBe(COLLECTOR_KEY);
  });
});

describe('tracing off by default', () => {
  let rig: EngineRig;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    rig = await startEngineRig();
  });
  afterAll(async () => {
    await rig?.close();
    await receiver?.close();
  });

  it('without OTEL_* nothing is added upstream; a client traceparent passes unchanged', async () => {
    await rig.startGateway();
    const before = rig.upstream.requests.length;
    expect((await chat(rig)).status).toBe(200);
    const clientValue = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    expect((await chat(rig, { traceparent: clientValue })).status).toBe(200);
    const [plain, traced] = rig.upstream.requests.slice(before);
    expect(plain!.headers.traceparent).toBeUndefined();
    expect(traced!.headers.traceparent).toBe(clientValue);
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.gateway.logs().some((line) => line.event === 'telemetry.started')).toBe(false);
  });

  it('OTEL_TRACES_EXPORTER=none exports nothing even with an endpoint set', async () => {
    await rig.startGateway({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl,
      OTEL_TRACES_EXPORTER: 'none',
    });
    const before = rig.upstream.requests.length;
    expect((await chat(rig)).status).toBe(200);
    expect(rig.upstream.requests[before]!.headers.traceparent).toBeUndefined();
    // The shutdown would flush queued spans: none were made.
    expect(await rig.stopGateway()).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });
});
