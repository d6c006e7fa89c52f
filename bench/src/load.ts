import autocannon from 'autocannon';
import { LatencyHistogram } from './latency-histogram.ts';

/** One load run against one target. */
export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  /** Seconds (fractions work: autocannon samples every 100 ms here). */
  readonly durationS: number;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/** What one load run measured. */
export interface LoadResult {
  /** 2xx answers per second of wall time. */
  readonly rps: number;
  /** ms */
  readonly p50: number;
  /** ms */
  readonly p99: number;
  readonly ok: number;
  /** Non-2xx answers plus connection errors and timeouts. */
  readonly failed: number;
}

/**
 * Drives `spec` with autocannon. Latency is recorded from autocannon's
 * per-response event into a 10 µs histogram; throughput is 2xx answers over
 * the wall time of the run.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  const started = process.hrtime.bigint();
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        method: spec.method ?? 'POST',
        ...(spec.body === undefined ? {} : { body: spec.body }),
        headers: spec.headers ?? {},
        timeout: 30,
        // autocannon checks its stop condition once per sample; 100 ms keeps short runs short.
        sampleInt: 100,
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({
          rps: histogram.count / seconds,
          p50: histogram.percentile(50),
          p99: histogram.percentile(99),
          ok: histogram.count,
          failed: result.non2xx + result.errors,
        });
      },
    );
    // At runtime the event carries (client, statusCode, resBytes, responseTime); the typings omit the client.
    instance.on('response', (...args: unknown[]) => {
      const status = Number(args.at(-3));
      const ms = Number(args.at(-1));
      if (status >= 200 && status < 300) histogram.record(ms);
    });
  });
}
