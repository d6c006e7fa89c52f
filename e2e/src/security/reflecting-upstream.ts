import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/** An upstream (or a proxy before it) that reflects the request's headers in every place it can. */
export interface ReflectingUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Echoes every request header back: in the JSON body, in `x-echo-*` headers,
 * `set-cookie`, `www-authenticate` and `location` (URL-encoded). `/stream`
 * answers SSE that splits the echo one byte per chunk; `/gzip` compresses it;
 * `/sized` declares its `content-length` (the others are chunked).
 */
export async function startReflectingUpstream(): Promise<ReflectingUpstream> {
  const server = http.createServer((request, response) => {
    request.resume();
    const headers = request.headers;
    const echo = JSON.stringify({ headers });
    const values = Object.values(headers)
      .flat()
      .filter((value): value is string => typeof value === 'string');
    const reflected: Record<string, string | string[]> = {
      'set-cookie': values.map((value, i) => `echo${i}=${encodeURIComponent(value)}`),
      'www-authenticate': `Bearer error="invalid_token", echo="${String(headers.authorization ?? '')}"`,
      location: `https://elsewhere.example/?seen=${encodeURIComponent(JSON.stringify(headers))}`,
    };
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && /^[\x20-\x7e]*$/.test(value)) {
        reflected[`x-echo-${name}`] = value;
      }
    }
    if (request.url?.startsWith('/stream')) {
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
    if (request.url?.startsWith('/sized')) {
      response.writeHead(200, {
        ...reflected,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(echo)),
      });
      return response.end(echo);
    }
    if (request.url?.startsWith('/gzip')) {
      response.writeHead(200, {
        ...reflected,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      return response.end(zlib.gzipSync(echo));
    }
    response.writeHead(401, { ...reflected, 'content-type': 'application/json' });
    response.end(echo);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
