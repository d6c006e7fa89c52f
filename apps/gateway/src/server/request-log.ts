import type { Logger } from 'pino';
import type { ForwardTrace } from '../proxy/pipeline.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';

/** One answered request (HTTP or WebSocket handshake), as logged and counted. */
export interface RequestRecord {
  readonly method: string;
  /** The client's target; the query is never logged. */
  readonly target: string;
  readonly status: number;
  readonly durationMs: number;
  readonly websocket: boolean;
  readonly trace: ForwardTrace;
}

/** Records requests of one route: the request log line and the request counter, for both transports. */
export function requestRecorder(
  route: string,
  log: Logger,
  metrics: GatewayMetrics,
): (record: RequestRecord) => void {
  return ({ method, target, status, durationMs, websocket, trace }) => {
    metrics.requests.inc({ route, status: String(status) });
    log.info({
      event: 'request',
      method,
      path: target.split('?', 1)[0],
      status,
      durationMs: Math.round(durationMs),
      upstreamStatus: trace.upstreamStatus,
      credentialAgeS:
        trace.credentialAcquiredAt === undefined
          ? undefined
          : Math.round((Date.now() - trace.credentialAcquiredAt) / 1000),
      replayed: trace.replayed,
      ...(websocket ? { websocket } : {}),
    });
  };
}

/**
 * What a person reads first of a request line in the pretty format
 * (`POST /v1/chat/completions 200 12ms`); JSON lines carry only the fields.
 */
export function requestLineMessage(line: Readonly<Record<string, unknown>>): string | undefined {
  if (line['event'] !== 'request') return undefined;
  const { method, path, status, durationMs, websocket } = line;
  return `${websocket ? 'WebSocket ' : ''}${String(method)} ${String(path)} ${String(status)} ${String(durationMs)}ms`;
}
