import { createHash } from 'node:crypto';
import net from 'node:net';

/**
 * What the hostile upstream does, chosen by the request path: answers that
 * stop at every point an upstream can fail (before, in and after the headers,
 * in a body, in a stream, in a refused or accepted WebSocket handshake).
 */
export const HOSTILE_PATHS = {
  ok: '/ok',
  unavailable: '/unavailable',
  resetBeforeHeaders: '/reset-before-headers',
  resetMidHeaders: '/reset-mid-headers',
  resetMidBody: '/reset-mid-body',
  resetMidStream: '/reset-mid-stream',
  unauthorizedCut: '/unauthorized-cut',
  stallHeaders: '/stall-headers',
  /** Every hop-by-hop response header, and one named in `Connection`. */
  hopByHop: '/hop-by-hop',
  /** A WebSocket accepted, then the connection ended with the 101 (no frame ever). */
  websocketCutAtOnce: '/ws-cut-at-once',
  /** A WebSocket that answers the client's first message with three, then resets. */
  websocketResetMidStream: '/ws-reset-mid-stream',
  /** A 101 cut in the middle of its headers. */
  websocketCutMidHeaders: '/ws-cut-mid-headers',
} as const;

/** Messages the upstream sends on `websocketResetMidStream` before it resets. */
export const WEBSOCKET_MESSAGES = ['one', 'two', 'three'] as const;

/** A request as the hostile upstream received it. */
export interface HostileRequest {
  readonly target: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  readonly headers: Record<string, string>;
}

/** A raw TCP upstream that misbehaves on purpose and counts what it saw. */
export interface HostileUpstream {
  readonly url: string;
  /** Requests received per path (WebSocket handshakes included). */
  count(path: string): number;
  /** Raw request targets received, in order. */
  readonly targets: string[];
  /** Every request received, in order. */
  readonly requests: HostileRequest[];
  /** WebSocket handshakes received. */
  websocketHandshakes(): number;
  close(): Promise<void>;
}

const SSE_EVENT = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';

/** Starts the hostile upstream on 127.0.0.1 (plain HTTP/1.1, one request per connection). */
export async function startHostileUpstream(): Promise<HostileUpstream> {
  const sockets = new Set<net.Socket>();
  const counts = new Map<string, number>();
  const targets: string[] = [];
  const requests: HostileRequest[] = [];
  let handshakes = 0;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [requestLine = '', ...lines] = head.slice(0, end).split('\r\n');
      const target = requestLine.split(' ')[1] ?? '/';
      const path = target.split('?', 1)[0]!;
      targets.push(target);
      counts.set(path, (counts.get(path) ?? 0) + 1);
      const headers = Object.fromEntries(
        lines.map((line) => {
          const at = line.indexOf(':');
          return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      requests.push({ target, headers });
      if (String(headers.upgrade).toLowerCase() === 'websocket') handshakes++;
      // Drain whatever body follows; the answer does not depend on it.
      socket.resume();
      answer(socket, path, headers);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    count: (path) => counts.get(path) ?? 0,
    targets,
    requests,
    websocketHandshakes: () => handshakes,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(socket: net.Socket, path: string, headers: Record<string, string>): void {
  const P = HOSTILE_PATHS;
  switch (path) {
    case P.unavailable:
      return void socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno',
      );
    case P.resetBeforeHeaders:
      return void socket.destroy();
    case P.resetMidHeaders:
      socket.write('HTTP/1.1 200 OK\r\nContent-Ty');
      return void setTimeout(() => socket.destroy(), 20);
    case P.resetMidBody:
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":',
      );
      return void setTimeout(() => socket.destroy(), 20);
    case P.resetMidStream:
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      for (let i = 0; i < 2; i++)
        socket.write(`${SSE_EVENT.length.toString(16)}\r\n${SSE_EVENT}\r\n`);
      return void setTimeout(() => socket.destroy(), 20);
    case P.unauthorizedCut:
      socket.write(
        'HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"error":',
      );
      return void setTimeout(() => socket.destroy(), 20);
    case P.stallHeaders:
      return; // never answers; the gateway's client gives up or times out
    case P.hopByHop:
      return void socket.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n' +
          'Connection: close, X-Named\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n' +
          'TE: trailers\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\nX-Named: 1\r\nX-Kept: 1\r\n\r\n{"ok":true}',
      );
    case P.websocketCutAtOnce:
      return void socket.end(switchingProtocols(headers));
    case P.websocketResetMidStream:
      socket.write(switchingProtocols(headers));
      // The client's first message (any bytes after the handshake) starts the stream.
      return void socket.once('data', () => {
        const frames = WEBSOCKET_MESSAGES.map(textFrame);
        socket.write(Buffer.concat(frames), () => socket.destroy());
      });
    case P.websocketCutMidHeaders:
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnec');
      return void setTimeout(() => socket.destroy(), 20);
    default:
      return void socket.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n\r\n{"ok":true}',
      );
  }
}

/** The 101 that accepts a client's handshake. */
function switchingProtocols(headers: Record<string, string>): string {
  const accept = createHash('sha1')
    .update(`${headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}

/** An unmasked (server to client) final text frame of fewer than 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}
