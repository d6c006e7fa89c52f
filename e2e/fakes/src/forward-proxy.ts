import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A recording HTTP forward proxy on 127.0.0.1. */
export interface ForwardProxy {
  /** Proxy URL for HTTPS_PROXY / HTTP_PROXY, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** `host:port` of every CONNECT tunnel requested, in order. */
  readonly connects: string[];
  /** Absolute-form target of every plain-HTTP request proxied, in order. */
  readonly requests: string[];
  /** Closes the listener and every open tunnel and connection. */
  close(): Promise<void>;
}

// Hop-by-hop headers a proxy must not forward (RFC 9110 section 7.6.1), plus the proxy's own.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Options of `startForwardProxy`. */
export interface ForwardProxyOptions {
  /** Answer every tunnel and request with 403 (a corporate proxy that denies the destination). */
  readonly refuse?: boolean;
}

/** What a refusing proxy answers. */
const REFUSED =
  'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 28\r\n\r\nforward proxy: access denied';

/**
 * Starts a forward proxy that tunnels CONNECT (HTTPS egress) and forwards absolute-form
 * plain-HTTP requests, recording each target. Origin-form requests get 400; an unreachable
 * target gets 502; with `refuse`, everything gets 403 (still recorded).
 */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const connects: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = http.createServer((req, res) => {
    const target = req.url ?? '';
    if (!/^http:\/\//i.test(target)) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('forward proxy: absolute-form http:// target required');
      return;
    }
    requests.push(target);
    if (options.refuse) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forward proxy: access denied');
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
    );
    const upstream = http.request(
      target,
      { method: req.method, headers, agent: false },
      (answer) => {
        const back = Object.fromEntries(
          Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
        );
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      },
    );
    upstream.on('socket', track);
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('forward proxy: upstream unreachable');
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on('connection', track);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authority = req.url ?? '';
    connects.push(authority);
    if (options.refuse) {
      client.on('error', () => client.destroy());
      client.end(REFUSED);
      return;
    }
    const target = parseAuthority(authority);
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    let connected = false;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    upstream.once('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (connected) client.destroy();
      else client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Host and port of a CONNECT target (`host:port`, `[v6]:port`); undefined when malformed. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  try {
    const { hostname, port } = new URL(`http://${authority}`);
    if (!hostname || !port) return undefined;
    return { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) };
  } catch {
    return undefined;
  }
}
