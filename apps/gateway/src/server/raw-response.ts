import http from 'node:http';
import type { Duplex } from 'node:stream';

/** An answer written straight to a socket that never became an HTTP response or WebSocket. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The whole body; a stream body is piped by the caller after the head. */
  readonly body?: string | Buffer;
}

/**
 * Writes a complete answer and ends the socket (`connection: close`), or only
 * its head when `body` is undefined (the caller streams the body and ends).
 */
export function writeRawResponse(socket: Duplex, answer: RawAnswer): void {
  if (socket.destroyed || socket.writableEnded) return;
  const headers: Record<string, string | readonly string[]> = {
    ...answer.headers,
    connection: 'close',
  };
  const payload = answer.body === undefined ? undefined : Buffer.from(answer.body);
  if (payload) headers['content-length'] = String(payload.length);
  const lines = [`HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of typeof value === 'string' ? [value] : value) lines.push(`${name}: ${item}`);
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  if (payload) socket.end(Buffer.concat([head, payload]));
  else socket.write(head);
}
