import type { TokenUsage } from '@keyless/usage';

/** The usage of one answered request, as the usage sinks (token log, metrics) receive it. */
export interface UsageRecord {
  /** The client's `x-request-id` when it is a plain token, else a fresh UUID. */
  readonly requestId: string;
  readonly route: string;
  /** The route's wire flavor (the API family that answered). */
  readonly flavor: string;
  /** The request's model, else the answer's; undefined when neither named one. */
  readonly model: string | undefined;
  /** Upstream path without the query. */
  readonly path: string;
  /** The answer's status (101 for a WebSocket session). */
  readonly status: number;
  readonly streaming: boolean;
  readonly usage: TokenUsage;
  /** False when the answer carried no count (the counts are then zero). */
  readonly reported: boolean;
  /** From the request's start to the answer's end, ms. */
  readonly durationMs: number;
  /** Bytes of the answer as relayed. */
  readonly responseBytes: number;
  /** When the answer ended, ms epoch. */
  readonly endedAt: number;
}

/** Receives one record per accounted request; must not throw (a throw is logged and ignored). */
export type UsageSink = (record: UsageRecord) => void;
