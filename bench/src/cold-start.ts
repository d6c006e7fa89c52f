import http from 'node:http';
import { percentile } from './stats.ts';

/** N concurrent first requests against a gateway that holds no credential yet. */
export interface ColdStartResult {
  readonly requests: number;
  /** Status -> count (0: the connection failed). */
  readonly statuses: Readonly<Record<string, number>>;
  /** ms, from sending to the end of the answer. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function oneRequest(url: string, agent: http.Agent, body: string): Promise<[number, number]> {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (status: number) => resolve([status, performance.now() - started]);
    const request = http.request(url, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => done(0));
    request.on('response', (response) => {
      response.on('error', () => done(0));
      response.resume();
      response.on('end', () => done(response.statusCode ?? 0));
    });
    request.end(body);
  });
}

/**
 * Sends `count` requests at once, each on its own connection, and reports their
 * statuses and latencies. The exchange count comes from the identity fakes.
 */
export async function fireConcurrently(
  url: string,
  count: number,
  body: string,
): Promise<ColdStartResult> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    const answers = await Promise.all(
      Array.from({ length: count }, () => oneRequest(url, agent, body)),
    );
    const statuses: Record<string, number> = {};
    for (const [status] of answers) statuses[status] = (statuses[status] ?? 0) + 1;
    const latencies = answers.map(([, ms]) => ms);
    return {
      requests: count,
      statuses,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    };
  } finally {
    agent.destroy();
  }
}
