import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running raw proxy. */
export interface RawProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** The header the raw proxy injects, standing in for the gateway's credential. */
export const RAW_PROXY_HEADER = { name: 'authorization', value: 'Bearer bench-raw-proxy' } as const;

/**
 * The practical ceiling: a minimal `node:http` pass-through proxy that forwards
 * method, path and headers to `upstream`, sets one header, and pipes both bodies.
 * No admission, no header hygiene, no logs, no metrics: whatever the gateway costs
 * beyond this is the price of what it does.
 */
export async function startRawProxy(upstream: string, port = 0): Promise<RawProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const server = http.createServer((req, res) => {
    const headers = {
      ...req.headers,
      host: target.host,
      [RAW_PROXY_HEADER.name]: RAW_PROXY_HEADER.value,
    };
    const outgoing = http.request({
      agent,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
    });
    outgoing.on('response', (answer) => {
      answer.on('error', () => res.destroy());
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    outgoing.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.on('error', () => outgoing.destroy());
    res.on('error', () => outgoing.destroy());
    // A client that leaves early aborts the upstream request.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
