import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Events in the streamed answer, and the gap between them (ms). */
export const SSE_EVENTS = 20;
export const SSE_GAP_MS = 5;

/** A chat completion of about 500 bytes, the answer to every non-streaming request. */
export const COMPLETION_BODY = JSON.stringify({
  id: 'chatcmpl-bench0000000000000000000000000',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content:
          'Keyless benchmark answer: a short completion of roughly the size a small model call returns, padded to about five hundred bytes.',
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 28, total_tokens: 40 },
  system_fingerprint: 'fp_bench',
});

const SSE_CHUNK = (index: number): string =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `token ${index} ` } }] })}\n\n`;

/** A running upstream. */
export interface BenchUpstream {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/** True when the request asks for the streamed variant (its path contains `stream`). */
export function wantsStream(target: string): boolean {
  return target.includes('stream');
}

function streamAnswer(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < SSE_EVENTS) {
      res.write(SSE_CHUNK(sent));
      sent += 1;
      return;
    }
    clearInterval(timer);
    res.end('data: [DONE]\n\n');
  }, SSE_GAP_MS);
  // A client that leaves early must not leave the timer writing into a closed stream.
  res.once('close', () => clearInterval(timer));
}

/**
 * The loopback upstream every target forwards to: drains the request body, then
 * answers a ~500-byte JSON completion, or 20 SSE events 5 ms apart when the path
 * contains `stream`. It records nothing, so its cost stays flat however long a run is.
 */
export async function startBenchUpstream(port = 0): Promise<BenchUpstream> {
  const server = http.createServer((req, res) => {
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    req.resume();
    req.once('end', () => {
      if (wantsStream(req.url ?? '')) {
        streamAnswer(res);
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(COMPLETION_BODY),
      });
      res.end(COMPLETION_BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
