import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import {
  proxyUrlFor,
  type Attachment,
  type OutgoingRequest,
  type RouteCredential,
} from '@keyless/auth-core';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { RouteConfig } from '../config/gateway-config.ts';
import { admit } from '../proxy/admission.ts';
import { credentialUnavailable } from '../proxy/credential-unavailable.ts';
import {
  GATEWAY_ERRORS,
  gatewayErrorBody,
  type GatewayErrorCode,
} from '../proxy/gateway-errors.ts';
import { forwardedRequestHeaders } from '../proxy/header-hygiene.ts';
import type { RouteServerDeps } from './route-server.ts';

/** Headers of a 101 answer that belong to the handshake itself; the gateway's server side sets them. */
const HANDSHAKE_HEADERS = new Set([
  'connection',
  'upgrade',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'keep-alive',
  'transfer-encoding',
]);

/** Close codes that may not be sent in a close frame (RFC 6455 section 7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1004, 1005, 1006, 1015]);

/** Sent to both sides of an open socket when the gateway shuts down. */
const GOING_AWAY = 1001;

/** A WebSocket proxy bound to one route server. */
export interface WebSocketProxy {
  /** Closes every open socket with 1001 (going away). */
  closeAll(): void;
}

interface Handshake {
  readonly path: string;
  readonly protocols: string[];
}

/**
 * Proxies WebSocket upgrades (the Responses API over WebSocket) to the route's
 * upstream with the credential attached to the upgrade request. The client gets
 * 101 only after the upstream answered 101; an upstream refusal reaches the
 * client with its status and body, and a 401 renews the credential and retries
 * the handshake once. The credential is checked at the handshake only: an open
 * socket outlives later refreshes. Messages are relayed, never logged.
 */
export function attachWebSocketProxy(
  server: http.Server,
  route: RouteConfig,
  credential: RouteCredential,
  deps: RouteServerDeps,
): WebSocketProxy {
  const log = deps.logger.child({ route: route.name, websocket: true });
  const upstreamOrigin = new URL(route.upstream.origin);
  const wsOrigin = `${upstreamOrigin.protocol === 'https:' ? 'wss:' : 'ws:'}//${upstreamOrigin.host}`;
  // Node's own agents: TLS verified (NODE_EXTRA_CA_CERTS), through the proxy auth-core picks for
  // this upstream from the configuration, with the same NO_PROXY rules as the HTTP traffic.
  const proxyUrl = proxyUrlFor(deps.egress, upstreamOrigin);
  const proxyEnv = proxyUrl === undefined ? {} : { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl };
  const agent =
    upstreamOrigin.protocol === 'https:'
      ? new https.Agent({ proxyEnv } as https.AgentOptions)
      : new http.Agent({ proxyEnv } as http.AgentOptions);
  const chosenProtocol = new WeakMap<http.IncomingMessage, string>();
  const server101Headers = new WeakMap<http.IncomingMessage, http.IncomingHttpHeaders>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, request) => chosenProtocol.get(request) ?? false,
  });
  wss.on('headers', (headers, request) => {
    for (const [name, value] of Object.entries(server101Headers.get(request) ?? {})) {
      if (value === undefined || HANDSHAKE_HEADERS.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.push(`${name}: ${item}`);
    }
  });
  const open = new Set<{ client: WebSocket; upstream: WebSocket }>();

  const fail = (
    socket: Duplex,
    code: GatewayErrorCode,
    message: string,
    extra: Record<string, string> = {},
  ) => {
    const body = JSON.stringify(gatewayErrorBody(route.flavor, code, message));
    writeRawResponse(
      socket,
      GATEWAY_ERRORS[code],
      { ...extra, 'content-type': 'application/json', 'x-keyless-error': code },
      body,
    );
    log.info(
      { event: 'request', method: 'GET', status: GATEWAY_ERRORS[code], websocket: true },
      'websocket refused',
    );
  };

  const connect = async (
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    handshake: Handshake,
    attempt: 'first' | 'replay',
  ) => {
    const outgoing: OutgoingRequest = {
      method: 'GET',
      origin: route.upstream.origin,
      path: handshake.path,
      headers: withoutWebSocketHeaders(forwardedRequestHeaders(request.headers)),
    };
    let attachment: Attachment;
    try {
      attachment = await credential.attach(outgoing);
    } catch (error) {
      const { message, headers } = credentialUnavailable(route.name, error, deps.redactor);
      return fail(socket, 'credential_unavailable', message, headers);
    }
    delete outgoing.headers.host;
    const upstream = new WebSocket(`${wsOrigin}${handshake.path}`, handshake.protocols, {
      headers: outgoing.headers,
      agent,
      perMessageDeflate: false,
      handshakeTimeout: deps.upstreamTimeoutMs,
    });

    upstream.once('unexpected-response', (_req, response) => {
      void (async () => {
        const body = await readAll(response);
        if (response.statusCode === 401 && credential.renewable && attempt === 'first') {
          log.info(
            { event: 'credential.rejected', upstreamStatus: 401 },
            'upstream refused the websocket handshake; renewing and retrying once',
          );
          try {
            await credential.renew(attachment);
          } catch (error) {
            const { message, headers } = credentialUnavailable(route.name, error, deps.redactor);
            return fail(socket, 'credential_unavailable', message, headers);
          }
          deps.credentialMetrics.recordReplay(route.name, credential.provider);
          return connect(request, socket, head, handshake, 'replay');
        }
        writeRawResponse(
          socket,
          response.statusCode ?? 502,
          passableHeaders(response.headers),
          body,
        );
        log.info(
          {
            event: 'request',
            method: 'GET',
            path: handshake.path.split('?', 1)[0],
            status: response.statusCode,
            upstreamStatus: response.statusCode,
            websocket: true,
            replayed: attempt === 'replay',
          },
          'websocket refused upstream',
        );
      })();
    });

    upstream.once('upgrade', (response) => {
      const protocol = response.headers['sec-websocket-protocol'];
      if (protocol) chosenProtocol.set(request, protocol);
      server101Headers.set(request, response.headers);
    });

    upstream.once('open', () => {
      if (socket.destroyed) {
        upstream.terminate();
        return;
      }
      wss.handleUpgrade(request, socket, head, (client) => {
        const pair = { client, upstream };
        open.add(pair);
        relay(client, upstream);
        relay(upstream, client);
        client.once('close', () => open.delete(pair));
        log.info(
          {
            event: 'request',
            method: 'GET',
            path: handshake.path.split('?', 1)[0],
            status: 101,
            upstreamStatus: 101,
            websocket: true,
            replayed: attempt === 'replay',
          },
          'websocket open',
        );
      });
    });

    upstream.once('error', (error) => {
      if (upstream.readyState === WebSocket.CLOSED || socket.destroyed || socket.writableEnded)
        return;
      if (upstream.listenerCount('open') > 0) {
        fail(
          socket,
          'upstream_unreachable',
          `upstream ${route.upstream.origin}: ${deps.redactor.describe(error)}`,
        );
      }
    });
  };

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (credential.signsBody) {
      return fail(
        socket,
        'bad_request_target',
        `route ${route.name} signs each request and does not proxy WebSocket upgrades`,
      );
    }
    const admission = admit(request.url ?? '/', request.headers, route.upstream, deps.clientKey);
    if ('refuse' in admission) return fail(socket, admission.refuse, admission.message);
    const { path } = admission;
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    void connect(request, socket, head, { path, protocols }, 'first');
  });

  return {
    closeAll() {
      for (const { client, upstream } of open) {
        client.close(GOING_AWAY, 'gateway shutting down');
        upstream.close(GOING_AWAY, 'gateway shutting down');
      }
      wss.close();
      agent.destroy();
    },
  };
}

/** Relays messages and the close of `from` to `to`. */
function relay(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState === WebSocket.OPEN) to.send(data, { binary: isBinary });
  });
  from.on('close', (code: number, reason: Buffer) => {
    if (to.readyState === WebSocket.OPEN || to.readyState === WebSocket.CONNECTING) {
      if (RESERVED_CLOSE_CODES.has(code)) to.close();
      else to.close(code, reason);
    }
  });
  from.on('error', () => to.terminate());
}

/** The client's headers minus the handshake's own, which the upstream client generates. */
function withoutWebSocketHeaders(headers: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(headers))
    if (name.startsWith('sec-websocket-')) delete headers[name];
  return headers;
}

/** An upstream refusal's headers as they may be relayed on a raw socket. */
function passableHeaders(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HANDSHAKE_HEADERS.has(name) && name !== 'content-length')
      out[name] = value;
  }
  return out;
}

async function readAll(stream: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Answers an upgrade request that will not become a WebSocket, then closes the socket. */
function writeRawResponse(
  socket: Duplex,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  if (socket.destroyed || socket.writableEnded) return;
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries({
    ...headers,
    'content-length': String(payload.length),
    connection: 'close',
  })) {
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload]));
}
