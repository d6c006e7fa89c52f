import { ConfigError, type Environment } from '@keyless/auth-core';

/** How root spans are sampled (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`). */
export interface SamplerSettings {
  /** `always_on`, `always_off` or `traceidratio`. */
  readonly root: 'always_on' | 'always_off' | 'traceidratio';
  /** Follow the sampled flag of a client's `traceparent` (the `parentbased_*` samplers). */
  readonly parentBased: boolean;
  /** Share of root traces kept by `traceidratio`, 0 to 1. */
  readonly ratio: number;
}

/** A trace the workflow already runs (`GITHUB_AW_OTEL_TRACE_ID`, `GITHUB_AW_OTEL_PARENT_SPAN_ID`). */
export interface WorkflowParent {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
}

/** Trace export settings, read once at startup; `undefined` when tracing is off. */
export interface TelemetrySettings {
  readonly sampler: SamplerSettings;
  /** Exporter header values (`OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS`): secrets. */
  readonly secrets: readonly string[];
  /** Where spans go, for the proxy decision and log lines (credentials removed). */
  readonly endpoint: string | undefined;
  /** The parent of requests that bring no `traceparent`. */
  readonly workflowParent: WorkflowParent | undefined;
}

/** The default sampler of the OpenTelemetry specification. */
export const DEFAULT_SAMPLER: SamplerSettings = Object.freeze({
  root: 'always_on',
  parentBased: true,
  ratio: 1,
});

const SAMPLERS: Record<string, Omit<SamplerSettings, 'ratio'>> = {
  always_on: { root: 'always_on', parentBased: false },
  always_off: { root: 'always_off', parentBased: false },
  traceidratio: { root: 'traceidratio', parentBased: false },
  parentbased_always_on: { root: 'always_on', parentBased: true },
  parentbased_always_off: { root: 'always_off', parentBased: true },
  parentbased_traceidratio: { root: 'traceidratio', parentBased: true },
};

/** OTLP over HTTP with JSON is what the exporter sends; collectors accept it for protobuf too. */
const HTTP_PROTOCOLS = new Set(['http/json', 'http/protobuf']);

/**
 * The tracing settings of `env`, or undefined when tracing is off: it is on
 * when an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp` is
 * set, unless `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`.
 * Endpoint, headers, timeout, compression and certificates are read by the
 * OTLP exporter itself. Values the gateway cannot honour fail the start.
 */
export function readTelemetrySettings(env: Environment): TelemetrySettings | undefined {
  const value = (name: string) => env[name]?.trim() || undefined;
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? '')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return undefined;
  const unsupported = exporters.filter((name) => name !== 'otlp');
  if (unsupported.length > 0) {
    throw new ConfigError(
      `OTEL_TRACES_EXPORTER: ${unsupported.join(', ')} is not supported; use otlp (or none)`,
    );
  }
  const endpoint =
    value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined && exporters.length === 0) return undefined;

  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = value(name);
    if (protocol !== undefined && !HTTP_PROTOCOLS.has(protocol.toLowerCase())) {
      throw new ConfigError(
        `${name}: ${protocol} is not supported; Keyless exports OTLP over HTTP`,
      );
    }
  }
  return {
    sampler: readSampler(value('OTEL_TRACES_SAMPLER'), value('OTEL_TRACES_SAMPLER_ARG')),
    secrets: [
      ...headerValues(value('OTEL_EXPORTER_OTLP_HEADERS')),
      ...headerValues(value('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
      ...(endpoint ? urlSecrets(endpoint) : []),
    ],
    endpoint: endpoint && withoutCredentials(endpoint),
    workflowParent: readWorkflowParent(
      value('GITHUB_AW_OTEL_TRACE_ID'),
      value('GITHUB_AW_OTEL_PARENT_SPAN_ID'),
    ),
  };
}

function readSampler(name: string | undefined, arg: string | undefined): SamplerSettings {
  if (name === undefined) return DEFAULT_SAMPLER;
  const sampler = SAMPLERS[name.toLowerCase()];
  if (!sampler) {
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER: ${name} is not supported; use one of ${Object.keys(SAMPLERS).join(', ')}`,
    );
  }
  if (sampler.root !== 'traceidratio' || arg === undefined) return { ...sampler, ratio: 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG: ${arg} is not a ratio between 0 and 1`);
  }
  return { ...sampler, ratio };
}

/** The values of a `key=value,key2=value2` header list (percent-decoded as the exporter does). */
function headerValues(list: string | undefined): string[] {
  if (list === undefined) return [];
  return list.split(',').flatMap((pair) => {
    const at = pair.indexOf('=');
    if (at < 0) return [];
    const raw = pair.slice(at + 1).trim();
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // the exporter skips what it cannot decode; the raw value is still a secret
    }
    return [...new Set([raw, decoded])].filter(Boolean);
  });
}

/** A password or token in the endpoint URL itself. */
function urlSecrets(endpoint: string): string[] {
  try {
    const url = new URL(endpoint);
    return [url.username, url.password].filter(Boolean).map(decodeURIComponent);
  } catch {
    return [];
  }
}

function withoutCredentials(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '[not a URL]';
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

function readWorkflowParent(
  traceId: string | undefined,
  spanId: string | undefined,
): WorkflowParent | undefined {
  const trace = traceId?.toLowerCase();
  const span = spanId?.toLowerCase();
  if (!trace || !TRACE_ID.test(trace) || /^0+$/.test(trace)) return undefined;
  if (!span || !SPAN_ID.test(span) || /^0+$/.test(span)) return undefined;
  return { traceId: trace, spanId: span };
}
