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
    const path = target.split('?', 1)[0];
    const ms = Math.round(durationMs);
    // The message is what a person reads first in the pretty format; the fields are for machines.
    log.info(
      {
        event: 'request',
        method,
        path,
        status,
        durationMs: ms,
        upstreamStatus: trace.upstreamStatus,
        credentialAgeS:
          trace.credentialAcquiredAt === undefined
            ? undefined
            : Math.round((Date.now() - trace.credentialAcquiredAt) / 1000),
        replayed: trace.replayed,
        ...(websocket ? { websocket } : {}),
      },
      `${websocket ? 'WebSocket ' : ''}${method} ${path} ${status} ${ms}ms`,
    );
  };
}
