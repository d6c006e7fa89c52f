import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** A WebSocket upstream (the Responses API over WebSocket, reduced to an echo). */
export interface WebSocketUpstream {
  readonly url: string;
  /** Headers of every upgrade request, in order. */
  readonly handshakes: http.IncomingHttpHeaders[];
  /** Close codes the upstream received from its peers. */
  readonly closes: number[];
  /** Refuse every following handshake with this answer (undefined: accept again). */
  refuseWith(answer: { status: number; body: string } | undefined): void;
  close(): Promise<void>;
}

export interface WebSocketUpstreamOptions {
  /** Decides whether an upgrade's credential is good; a refused one gets 401. Default: all accepted. */
  readonly authorize?: (headers: http.IncomingHttpHeaders) => boolean;
}

/**
 * Starts a WebSocket upstream on 127.0.0.1 that echoes messages (text and
 * binary), answers `close-4001` by closing with 4001, picks the first offered
 * subprotocol, adds `x-upstream-session` to its 101, and records handshakes and
 * close codes.
 */
export async function startWebSocketUpstream(
  options: WebSocketUpstreamOptions = {},
): Promise<WebSocketUpstream> {
  const handshakes: http.IncomingHttpHeaders[] = [];
  const closes: number[] = [];
  let refusal: { status: number; body: string } | undefined;
  const server = http.createServer();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => [...protocols][0] ?? false,
  });
  wss.on('headers', (headers) => headers.push('x-upstream-session: s-1'));
  server.on('upgrade', (request, socket, head) => {
    handshakes.push(request.headers);
    const answer =
      refusal ??
      (options.authorize && !options.authorize(request.headers)
        ? { status: 401, body: '{"error":{"message":"invalid token"}}' }
        : undefined);
    if (answer) {
      socket.end(
        `HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'close-4001') ws.close(4001, 'upstream done');
        else ws.send(data, { binary: isBinary });
      });
      ws.on('close', (code) => closes.push(code));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes,
    closes,
    refuseWith(answer) {
      refusal = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
