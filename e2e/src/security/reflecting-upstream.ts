import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { WebSocketServer } from 'ws';
import { leakSpellings } from '../harness/canary.ts';

/** An upstream (or a proxy before it) that reflects the request's headers in every place it can. */
export interface ReflectingUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Every spelling in which a reflector sends `value` back: the leak-spelling list
 * (raw, URL-, form-, JSON-, HTML-encoded, base64 at each alignment), upper-case
 * URL encoding, a `Basic` credential, and each half on its own.
 */
export function echoSpellings(value: string): string[] {
  const half = Math.ceil(value.length / 2);
  return [
    ...leakSpellings(value),
    encodeURIComponent(value).toUpperCase(),
    `Basic ${Buffer.from(`user:${value}`).toString('base64')}`,
    value.slice(0, half),
    value.slice(half),
  ];
}

/**
 * Headers whose values are public: not spelled out. Their base64 could equal a
 * piece of a JWT's payload (base64 of public claims such as an issuer URL on
 * 127.0.0.1), which the leak scan would report as a leak of the JWT.
 */
const PUBLIC_HEADERS =
  /^(?:host|connection|content-(?:length|type)|accept(?:-.*)?|user-agent|sec-.*|x-amz-(?:date|content-sha256)|amz-sdk-.*)$/;

/** The values of the request's other headers, a `Bearer ` scheme stripped too (the credential alone). */
function headerValues(headers: http.IncomingHttpHeaders): string[] {
  return Object.entries(headers)
    .filter(([name]) => !PUBLIC_HEADERS.test(name))
    .flatMap(([, value]) => [value ?? []].flat())
    .flatMap((value) => [value, value.replace(/^bearer\s+/i, '')]);
}

/**
 * Echoes every request header back: in the JSON body (also in every spelling
 * of `echoSpellings`), in `x-echo-*` headers, `set-cookie`, `www-authenticate`,
 * `location` (URL-encoded) and a `Basic` `x-echo-basic`. Paths (matched
 * anywhere in the URL): `/stream` answers SSE that splits the echo one byte
 * per chunk; `/gzip` compresses it; `/sized` declares its `content-length`
 * (the others are chunked); `/zstd` claims a coding the gateway cannot scan;
 * `/stacked` sends gzip as `gzip, identity`. A WebSocket handshake on
 * `/ws-echo` is accepted and sends its headers back as the first message, then
 * each spelling, then each value split across two messages; any other
 * handshake is refused with the echo.
 */
export async function startReflectingUpstream(): Promise<ReflectingUpstream> {
  const echoOf = (headers: http.IncomingHttpHeaders) =>
    JSON.stringify({
      headers,
      spellings: headerValues(headers).flatMap((value) => echoSpellings(value)),
    });
  const reflectedHeaders = (headers: http.IncomingHttpHeaders) => {
    const values = Object.values(headers)
      .flat()
      .filter((value): value is string => typeof value === 'string');
    const bearer = String(headers.authorization ?? '').replace(/^bearer\s+/i, '');
    const reflected: Record<string, string | string[]> = {
      'set-cookie': values.map((value, i) => `echo${i}=${encodeURIComponent(value)}`),
      'www-authenticate': `Bearer error="invalid_token", echo="${String(headers.authorization ?? '')}"`,
      location: `https://elsewhere.example/?seen=${encodeURIComponent(JSON.stringify(headers))}`,
      'x-echo-basic': `Basic ${Buffer.from(`user:${bearer}`).toString('base64')}`,
    };
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && /^[\x20-\x7e]*$/.test(value)) {
        reflected[`x-echo-${name}`] = value;
      }
    }
    return reflected;
  };

  const server = http.createServer((request, response) => {
    request.resume();
    const headers = request.headers;
    const echo = echoOf(headers);
    const reflected = reflectedHeaders(headers);
    const url = request.url ?? '/';
    if (url.includes('/stream')) {
      response.writeHead(200, { ...reflected, 'content-type': 'text/event-stream' });
      const event = Buffer.from(`data: ${echo}\n\n`);
      let at = 0;
      const tick = () => {
        if (at >= event.length) return response.end('data: [DONE]\n\n');
        response.write(event.subarray(at, at + 1));
        at++;
        setImmediate(tick);
      };
      return tick();
    }
    if (url.includes('/sized')) {
      response.writeHead(200, {
        ...reflected,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(echo)),
      });
      return response.end(echo);
    }
    const coding = url.includes('/gzip')
      ? 'gzip'
      : url.includes('/stacked')
        ? 'gzip, identity'
        : url.includes('/zstd')
          ? 'zstd'
          : undefined;
    if (coding !== undefined) {
      response.writeHead(200, {
        ...reflected,
        'content-type': 'application/json',
        'content-encoding': coding,
      });
      // zstd is only claimed: the bytes are the plain echo, which a gateway that relayed them unscanned would leak.
      return response.end(coding === 'zstd' ? echo : zlib.gzipSync(echo));
    }
    response.writeHead(401, { ...reflected, 'content-type': 'application/json' });
    response.end(echo);
  });

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!request.url?.includes('/ws-echo')) {
      const echo = Buffer.from(echoOf(request.headers));
      const lines = ['HTTP/1.1 401 Unauthorized', 'content-type: application/json'];
      for (const [name, value] of Object.entries(reflectedHeaders(request.headers)))
        for (const item of [value].flat()) lines.push(`${name}: ${item}`);
      lines.push(`content-length: ${echo.length}`, 'connection: close');
      socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), echo]));
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      client.send(JSON.stringify(request.headers));
      for (const value of headerValues(request.headers)) {
        for (const spelling of echoSpellings(value)) client.send(spelling);
        const half = Math.ceil(value.length / 2);
        client.send(`{"split":"${value.slice(0, half)}`);
        client.send(`${value.slice(half)}"}`);
      }
      client.send(Buffer.from(echoOf(request.headers)), { binary: true });
      client.close(1000, 'echoed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
