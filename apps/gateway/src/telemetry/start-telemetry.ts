import {
  createEgressAgent,
  proxyUrlFor,
  type EgressProxy,
  type Redactor,
} from '@keyless/auth-core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { createRequestTracing, type RequestTracing } from './request-tracing.ts';
import { reportingExporter } from './reporting-exporter.ts';
import type { SamplerSettings, TelemetrySettings } from './telemetry-settings.ts';

/** Longest attribute value exported, characters (a bound on what one span can carry). */
export const MAX_ATTRIBUTE_CHARS = 1024;

/** Tracing of a running gateway. */
export interface RunningTelemetry {
  readonly tracing: RequestTracing;
  /** Exports the spans still queued, waiting at most `timeoutMs`, and stops. Never rejects. */
  shutdown(timeoutMs: number): Promise<void>;
}

export interface TelemetryDeps {
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly egress: EgressProxy;
  /** `service.version` of the exported resource. */
  readonly version: string;
}

/**
 * Starts trace export with the OpenTelemetry SDK: OTLP over HTTP (JSON) in
 * batches, W3C trace context, the gateway as `service.name` unless
 * `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` say otherwise. The SDK is
 * imported by this module only, and the gateway imports it only when tracing
 * is on: a gateway without tracing never loads the SDK. The exporter's header
 * values are registered as secrets before anything runs.
 */
export async function startTelemetry(
  settings: TelemetrySettings,
  { logger, redactor, egress, version }: TelemetryDeps,
): Promise<RunningTelemetry> {
  for (const secret of settings.secrets) redactor.register(secret);
  // Endpoint, headers, timeout, compression and certificates come from OTEL_EXPORTER_OTLP_*.
  // Through the egress proxy when one applies to the collector, as every other outbound call.
  const proxied =
    settings.endpoint !== undefined &&
    URL.canParse(settings.endpoint) &&
    proxyUrlFor(egress, settings.endpoint) !== undefined;
  const exporter = new OTLPTraceExporter(
    proxied ? { httpAgentOptions: () => createEgressAgent(egress, settings.endpoint!) } : {},
  );
  const root = (sampler: SamplerSettings) =>
    sampler.root === 'always_off'
      ? new AlwaysOffSampler()
      : sampler.root === 'traceidratio'
        ? new TraceIdRatioBasedSampler(sampler.ratio)
        : new AlwaysOnSampler();
  const sampler = settings.sampler.parentBased
    ? new ParentBasedSampler({ root: root(settings.sampler) })
    : root(settings.sampler);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'keyless',
      'service.version': version,
    }).merge(detectResources({ detectors: [envDetector] })),
    sampler,
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
    spanProcessors: [
      new BatchSpanProcessor({ exporter: reportingExporter(exporter, logger, redactor) }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  logger.info(
    { event: 'telemetry.started', endpoint: settings.endpoint, sampler: settings.sampler },
    'exporting traces over OTLP/HTTP',
  );

  return {
    tracing: createRequestTracing({
      tracer: provider.getTracer('@keyless/gateway', version),
      propagator: new W3CTraceContextPropagator(),
      redact: (text) => redactor.redact(text),
      ...(settings.workflowParent ? { workflowParent: settings.workflowParent } : {}),
    }),
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        timer.unref();
      });
      const flushed = provider.shutdown().then(
        () => 'flushed' as const,
        () => 'failed' as const,
      );
      const result = await Promise.race([flushed, bound]);
      clearTimeout(timer);
      if (result !== 'flushed') {
        logger.warn(
          { event: 'telemetry.flush_incomplete', result, timeoutMs },
          'spans still queued at shutdown were not all exported',
        );
      }
    },
  };
}
