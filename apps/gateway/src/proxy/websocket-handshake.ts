import type { IncomingMessage } from 'node:http';

/** A WebSocket handshake the gateway accepted: what the upstream handshake needs. */
export interface WebSocketHandshake {
  readonly protocols: string[];
}

/** RFC 7230 token characters: what a subprotocol name may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 section 4.1). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** True for an `Upgrade: websocket` request; any other upgrade (h2c, ...) stays plain HTTP. */
export function isWebSocketUpgrade(request: IncomingMessage): boolean {
  return (
    String(request.headers.upgrade ?? '')
      .trim()
      .toLowerCase() === 'websocket'
  );
}

/**
 * Validates a client's WebSocket handshake completely before anything goes
 * upstream: GET, `Upgrade: websocket`, a well-formed `Sec-WebSocket-Key`,
 * version 13, well-formed distinct subprotocols. Returns the reason it is
 * refused, or the handshake.
 */
export function validateHandshake(request: IncomingMessage): WebSocketHandshake | string {
  if (request.method !== 'GET') return `a WebSocket handshake must be GET, got ${request.method}`;
  if (!isWebSocketUpgrade(request)) return 'not a WebSocket upgrade';
  const connection = String(request.headers.connection ?? '').toLowerCase();
  if (!connection.split(',').some((token) => token.trim() === 'upgrade')) {
    return 'a WebSocket handshake needs Connection: Upgrade';
  }
  if (!KEY.test(String(request.headers['sec-websocket-key'] ?? '').trim())) {
    return 'missing or malformed Sec-WebSocket-Key';
  }
  if (String(request.headers['sec-websocket-version'] ?? '').trim() !== '13') {
    return 'Sec-WebSocket-Version must be 13';
  }
  const offered = request.headers['sec-websocket-protocol'];
  const protocols =
    offered === undefined
      ? []
      : String(offered)
          .split(',')
          .map((name) => name.trim());
  if (protocols.some((name) => !TOKEN.test(name))) return 'malformed Sec-WebSocket-Protocol';
  if (new Set(protocols).size !== protocols.length) return 'duplicate Sec-WebSocket-Protocol';
  return { protocols };
}
