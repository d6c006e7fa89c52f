import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as a fake received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Raw request target (path and query exactly as received). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Receipt time, ms epoch. */
  readonly at: number;
}

/**
 * A fault to inject into the next `times` matching requests (all when absent).
 * `status` answers with that status and `body`; `delayMs` waits first;
 * `malformed` answers 200 with a body no client can parse; `drop` destroys the socket.
 */
export interface Fault {
  readonly match?: (request: RecordedRequest) => boolean;
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
  readonly malformed?: boolean;
  readonly drop?: boolean;
  times?: number;
}

/** Handles one request; `request.body` is fully read. */
export type FakeHandler = (
  request: RecordedRequest,
  res: http.ServerResponse,
  raw: http.IncomingMessage,
) => void | Promise<void>;

export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests per path (without query). */
  count(path?: string): number;
  /** Queues a fault; returns it so that a test can inspect `times` left. */
  inject(fault: Fault): Fault;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface FakeServerOptions {
  /** PEM key and certificate: serve HTTPS instead of HTTP. */
  readonly tls?: { key: string; cert: string };
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
}

/** Starts a recording HTTP(S) server on 127.0.0.1 with fault injection. */
export async function startFakeServer(
  handler: FakeHandler,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];

  const listener = async (raw: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of raw) chunks.push(chunk as Buffer);
    const request: RecordedRequest = {
      method: raw.method ?? 'GET',
      url: raw.url ?? '/',
      headers: raw.headers,
      body: Buffer.concat(chunks),
      at: Date.now(),
    };
    requests.push(request);
    const fault = takeFault(faults, request);
    try {
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault?.drop) {
        raw.socket.destroy();
        return;
      }
      if (fault?.malformed) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"truncated":');
        return;
      }
      if (fault?.status !== undefined) {
        res
          .writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers })
          .end(fault.body ?? JSON.stringify({ error: { message: `injected ${fault.status}` } }));
        return;
      }
      await handler(request, res, raw);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  };

  // A client that goes away mid-body rejects the body read: nothing is left to answer.
  const serve = (request: http.IncomingMessage, response: http.ServerResponse) => {
    listener(request, response).catch(() => response.destroy());
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, serve)
    : http.createServer(serve);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    count: (path) =>
      path === undefined ? requests.length : requests.filter((r) => pathOf(r.url) === path).length,
    inject(fault) {
      faults.push(fault);
      return fault;
    },
    clearFaults: () => void faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function takeFault(faults: Fault[], request: RecordedRequest): Fault | undefined {
  const index = faults.findIndex((f) => !f.match || f.match(request));
  if (index < 0) return undefined;
  const fault = faults[index]!;
  if (fault.times !== undefined && --fault.times <= 0) faults.splice(index, 1);
  return fault;
}

/** Path of a request target without its query. */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** Writes a JSON answer. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The bearer token of a recorded request, if any. */
export function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}
