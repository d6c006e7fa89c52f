import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLER, readTelemetrySettings } from './telemetry-settings.ts';

const ENDPOINT = 'http://collector.example:4318';

describe('readTelemetrySettings', () => {
  it.each([
    ['nothing set', {}],
    ['empty endpoints (how gh-aw switches export off)', { OTEL_EXPORTER_OTLP_ENDPOINT: '' }],
    ['exporter none', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }],
    ['SDK disabled', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'true' }],
    ['only a service name', { OTEL_SERVICE_NAME: 'x' }],
  ])('is off with %s', (_case, env) => {
    expect(readTelemetrySettings(env)).toBeUndefined();
  });

  it.each([
    ['the endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT }],
    ['the traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ENDPOINT}/v1/traces` }],
    ['OTEL_TRACES_EXPORTER=otlp', { OTEL_TRACES_EXPORTER: 'otlp' }],
  ])('is on with %s', (_case, env) => {
    expect(readTelemetrySettings(env)).toMatchObject({ sampler: DEFAULT_SAMPLER });
  });

  it('collects every exporter header value (raw and decoded) and URL credential as a secret', () => {
    const settings = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pa%24s@collector.example/otlp?x=1',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D123,authorization=Basic Zm9v',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-sentry-auth=sentry-secret',
    })!;
    expect(settings.secrets).toEqual(
      expect.arrayContaining(['abc%3D123', 'abc=123', 'Basic Zm9v', 'sentry-secret', 'pa$s']),
    );
    expect(settings.endpoint).toBe('https://collector.example/otlp');
  });

  it('reads the standard samplers and their ratio', () => {
    const read = (name: string, arg?: string) =>
      readTelemetrySettings({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_TRACES_SAMPLER: name,
        ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: arg }),
      })!.sampler;
    expect(read('always_off')).toEqual({ root: 'always_off', parentBased: false, ratio: 1 });
    expect(read('parentbased_traceidratio', '0.25')).toEqual({
      root: 'traceidratio',
      parentBased: true,
      ratio: 0.25,
    });
    expect(() => read('traceidratio', '2')).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => read('jaeger_remote')).toThrow(/OTEL_TRACES_SAMPLER/);
  });

  it('refuses exporters and protocols it cannot honour, naming the variable', () => {
    expect(() => readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER: zipkin/,
    );
    expect(() =>
      readTelemetrySettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: grpc/);
    expect(
      readTelemetrySettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      }),
    ).toBeDefined();
  });

  it('takes the workflow trace (GITHUB_AW_OTEL_*) as the parent only when both ids are valid', () => {
    const base = { OTEL_TRACES_EXPORTER: 'otlp' };
    const traceId = 'ab'.repeat(16);
    const spanId = 'cd'.repeat(8);
    expect(
      readTelemetrySettings({
        ...base,
        GITHUB_AW_OTEL_TRACE_ID: traceId.toUpperCase(),
        GITHUB_AW_OTEL_PARENT_SPAN_ID: spanId,
      })!.workflowParent,
    ).toEqual({ traceId, spanId });
    expect(
      readTelemetrySettings({ ...base, GITHUB_AW_OTEL_TRACE_ID: traceId })!.workflowParent,
    ).toBeUndefined();
    expect(
      readTelemetrySettings({
        ...base,
        GITHUB_AW_OTEL_TRACE_ID: '0'.repeat(32),
        GITHUB_AW_OTEL_PARENT_SPAN_ID: spanId,
      })!.workflowParent,
    ).toBeUndefined();
  });
});
