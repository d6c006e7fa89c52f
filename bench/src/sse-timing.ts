import http from 'node:http';
import { median } from './stats.ts';

/** One streamed answer, timed from the request. */
export interface SseSample {
  /** Time to the first body byte, ms. */
  readonly ttfb: number;
  /** (last byte - first byte) / (events - 1), ms. */
  readonly perEvent: number;
  /** `data:` events received. */
  readonly events: number;
}

/** Medians over several streamed answers. */
export interface SseTiming {
  readonly ttfb: number;
  readonly perEvent: number;
  /** Events in every answer (they must all agree, else the stream was cut). */
  readonly events: number;
  readonly samples: number;
}

const EVENT_MARKER = 'data: ';

/** Requests one streamed answer and times its bytes as they arrive. */
export function timeOneStream(url: string, agent: http.Agent, body: string): Promise<SseSample> {
  return new Promise<SseSample>((resolve, reject) => {
    const started = performance.now();
    const request = http.request(url, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      let first = Number.NaN;
      let last = Number.NaN;
      let events = 0;
      // The end of the previous chunk, so that a marker split across chunks still counts once.
      let carry = '';
      response.on('error', reject);
      response.on('data', (chunk: Buffer) => {
        last = performance.now();
        if (Number.isNaN(first)) first = last;
        const text = carry + chunk.toString('utf8');
        events += text.split(EVENT_MARKER).length - 1;
        carry = text.slice(-(EVENT_MARKER.length - 1));
      });
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(new Error(`${url} answered ${response.statusCode}`));
          return;
        }
        resolve({
          ttfb: first - started,
          perEvent: events > 1 ? (last - first) / (events - 1) : Number.NaN,
          events,
        });
      });
    });
    request.end(body);
  });
}

/** Streams `count` answers one after another over a keep-alive connection; medians. */
export async function timeStreams(url: string, count: number, body: string): Promise<SseTiming> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // The first stream opens the connection(s); it is not counted.
    await timeOneStream(url, agent, body);
    const samples: SseSample[] = [];
    for (let index = 0; index < count; index += 1)
      samples.push(await timeOneStream(url, agent, body));
    return {
      ttfb: median(samples.map((sample) => sample.ttfb)),
      perEvent: median(samples.map((sample) => sample.perEvent)),
      events: Math.min(...samples.map((sample) => sample.events)),
      samples: samples.length,
    };
  } finally {
    agent.destroy();
  }
}
