import type http from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { createEgressAgent } from '@keyless/auth-core';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { RouteConfig } from '../config/gateway-config.ts';
import type { GatewayErrorResponse } from '../proxy/gateway-errors.ts';
import { relayedResponseHeaders } from '../proxy/header-hygiene.ts';
import { observeBody, type AnswerObserver, type MessageScreening } from '../proxy/request-hooks.ts';
import type { SecretMatcher } from '../proxy/secret-matcher.ts';
import { SecretMatcherCache } from '../proxy/secret-matcher-cache.ts';
import {
  CLIENT_CLOSED,
  type ForwardTrace,
  type RoutePipeline,
  type SendUpstream,
} from '../proxy/pipeline.ts';
import { validateHandshake } from '../proxy/websocket-handshake.ts';
import { writeRawResponse } from './raw-response.ts';
import type { RequestRecord } from './request-log.ts';
import type { RouteServerDeps } from './route-server-deps.ts';

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

/**
 * Proxies WebSocket upgrades (the Responses API over WebSocket) through the
 * route's pipeline: the same admission, header rules, credential, rejection
 * test, renewal, replay, metrics and log line as HTTP requests. Only the
 * handshake and the frame relay are WebSocket's own. The client gets 101 only
 * after the upstream answered 101; an upstream refusal reaches the client with
 * its status and body. The credential is checked at the handshake only: an
 * open socket outlives later refreshes. Messages are relayed, never logged;
 * the upstream's are scanned for the credential like HTTP answers (a reflecting
 * upstream could send its handshake's headers back as a message).
 */
export function attachWebSocketProxy(
  server: http.Server,
  route: RouteConfig,
  pipeline: RoutePipeline,
  record: (record: RequestRecord) => void,
  deps: RouteServerDeps,
): WebSocketProxy {
  const upstreamOrigin = new URL(route.upstream.origin);
  const wsOrigin = `${upstreamOrigin.protocol === 'https:' ? 'wss:' : 'ws:'}//${upstreamOrigin.host}`;
  // Node's own agent: TLS verified (NODE_EXTRA_CA_CERTS), through the proxy auth-core picks for
  // this upstream from the configuration, with the same NO_PROXY rules as the HTTP traffic.
  const agent = createEgressAgent(deps.egress, upstreamOrigin);
  const accepted = new WeakMap<http.IncomingMessage, http.IncomingHttpHeaders>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, request) =>
      String(accepted.get(request)?.['sec-websocket-protocol'] ?? '') || false,
  });
  wss.on('headers', (headers, request) => {
    for (const [name, value] of Object.entries(accepted.get(request) ?? {})) {
      if (value === undefined || HANDSHAKE_HEADERS.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.push(`${name}: ${item}`);
    }
  });
  const open = new Set<{ client: WebSocket; upstream: WebSocket }>();
  // The secrets among the headers a handshake was sent with: the credential, whatever the auth.
  const matchers = new SecretMatcherCache((value) => deps.redactor.secretsIn(value));

  const handle = async (
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    trace: ForwardTrace,
    done: (status: number) => void,
  ) => {
    const refuse = (error: GatewayErrorResponse) => {
      writeRawResponse(socket, error);
      done(error.status);
    };

    const handshake = validateHandshake(request);
    if (typeof handshake === 'string') return refuse(pipeline.error('bad_request', handshake));
    const path = pipeline.admit(request.url ?? '/', request.headers);
    if (typeof path !== 'string') return refuse(path);
    if (pipeline.signsBody) {
      return refuse(
        pipeline.error(
          'bad_request_target',
          `route ${route.name} signs each request and does not proxy WebSocket upgrades`,
        ),
      );
    }

    const aborted = new AbortController();
    const onClose = () => aborted.abort();
    socket.once('close', onClose);
    let upstream: WebSocket | undefined;
    let sentHeaders: Record<string, string> = {};
    const send: SendUpstream = (outgoing) =>
      new Promise((resolve, reject) => {
        sentHeaders = outgoing.headers;
        const headers = { ...outgoing.headers };
        // The upstream client makes its own handshake headers.
        delete headers.host;
        for (const name of Object.keys(headers))
          if (name.startsWith('sec-websocket-')) delete headers[name];
        const attempt = new WebSocket(`${wsOrigin}${outgoing.path}`, handshake.protocols, {
          headers,
          agent,
          perMessageDeflate: false,
          handshakeTimeout: deps.upstreamTimeoutMs,
        });
        upstream = attempt;
        // Errors after the handshake settled close the pair (see relay); never unhandled.
        attempt.on('error', reject);
        aborted.signal.addEventListener('abort', () => attempt.terminate(), { once: true });
        attempt.once('unexpected-response', (upgradeRequest, response) => {
          // The refusal's body is relayed (or read to classify); the request ends with it.
          response.once('close', () => upgradeRequest.destroy());
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: response,
          });
        });
        attempt.once('upgrade', (response) =>
          resolve({ status: 101, headers: response.headers, body: Readable.from([]) }),
        );
      });

    const result = await pipeline.forward(
      { method: 'GET', path, headers: request.headers, websocket: true },
      send,
      aborted.signal,
      trace,
    );
    // From here the socket's fate is decided below; an open pair closes through the relay.
    socket.off('close', onClose);
    if (result.kind === 'aborted') {
      upstream?.terminate();
      socket.destroy();
      return done(CLIENT_CLOSED);
    }
    if (result.kind === 'error') return refuse(result.error);
    const { answer } = result;
    if (answer.status !== 101) {
      writeRawResponse(socket, {
        status: answer.status,
        headers: withoutContentLength(relayedResponseHeaders(answer.headers)),
      });
      const body = observeBody(answer.body, result.observer);
      body.on('error', () => socket.destroy());
      body.pipe(socket);
      return done(answer.status);
    }
    const opened = upstream!;
    await new Promise<void>((resolve) => {
      if (opened.readyState === WebSocket.OPEN) return resolve();
      opened.once('open', () => resolve());
      opened.once('close', () => resolve());
    });
    if (socket.destroyed || opened.readyState !== WebSocket.OPEN) {
      opened.terminate();
      socket.destroy();
      // Nothing was relayed: the observers (usage, the request's span) end here.
      result.observer?.end(false);
      return done(CLIENT_CLOSED);
    }
    accepted.set(request, answer.headers);
    wss.handleUpgrade(request, socket, head, (client) => {
      const pair = { client, upstream: opened };
      open.add(pair);
      relay(client, opened, { screen: result.screenMessage });
      relay(opened, client, {
        observer: result.observer,
        scrub: matchers.matcherFor(Object.values(sentHeaders)),
      });
      client.once('close', () => open.delete(pair));
      done(101);
    });
  };

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const startedAt = performance.now();
    const trace: ForwardTrace = { replayed: false };
    let recorded = false;
    const done = (status: number) => {
      if (recorded) return;
      recorded = true;
      record({
        method: request.method ?? 'GET',
        target: request.url ?? '/',
        status,
        durationMs: performance.now() - startedAt,
        websocket: true,
        trace,
      });
    };
    handle(request, socket, head, trace, done).catch((error: unknown) => {
      deps.logger.error(
        { event: 'websocket.failed', route: route.name, message: deps.redactor.describe(error) },
        'websocket handshake failed',
      );
      // Answered as the HTTP path answers an unexpected failure, unless something was already.
      if (recorded) return socket.destroy();
      writeRawResponse(
        socket,
        pipeline.error('upstream_unreachable', 'the WebSocket handshake failed'),
      );
      done(502);
    });
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

/** What a relay does to the messages it passes on. */
interface RelayOptions {
  /** Decides on each message: relayed (maybe replaced), or refused with an answer to its sender. */
  readonly screen?: ((message: Buffer) => MessageScreening) | undefined;
  /** Sees each message relayed (as relayed), then how the socket closed. */
  readonly observer?: AnswerObserver | undefined;
  /** Masks these secrets in each message (lengths kept), also where one continues from the previous message. */
  readonly scrub?: SecretMatcher | undefined;
}

/** Relays messages and the close of `from` to `to`. */
function relay(from: WebSocket, to: WebSocket, options: RelayOptions = {}): void {
  const { screen, observer, scrub } = options;
  // The end of the previous message: a secret split across two messages is masked where it continues.
  let tail: Buffer | undefined;
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    let message = toBuffer(data);
    if (screen) {
      const screened = screen(message);
      if ('reply' in screened) {
        // Refused (a policy): not relayed; the sender hears why and the session goes on.
        if (from.readyState === WebSocket.OPEN) from.send(screened.reply);
        return;
      }
      message = screened.relay;
    }
    if (scrub && !scrub.empty) {
      const previous = tail;
      const keep = scrub.longest - 1;
      const joined =
        message.length >= keep || !previous ? message : Buffer.concat([previous, message]);
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - keep)));
      message = scrub.scrubMessage(message, previous).scrubbed;
    }
    to.send(message, { binary: isBinary });
    observer?.data(message);
  });
  from.on('close', (code: number, reason: Buffer) => {
    observer?.end(code === 1000 || code === GOING_AWAY);
    if (to.readyState === WebSocket.OPEN || to.readyState === WebSocket.CONNECTING) {
      if (RESERVED_CLOSE_CODES.has(code)) to.close();
      else to.close(code, reason);
    }
  });
  from.on('error', () => to.terminate());
}

function toBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.concat(toBuffers(data));
}

function toBuffers(data: RawData): Buffer[] {
  return Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)];
}

/** A refusal is relayed until the connection closes, so its length is not restated. */
function withoutContentLength(
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> {
  delete headers['content-length'];
  return headers;
}
