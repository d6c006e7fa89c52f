import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RouteCredential } from '@keyless/auth-core';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Dispatcher } from 'undici';
import type { RouteConfig } from '../config/gateway-config.ts';
import { sendGatewayError } from '../proxy/gateway-errors.ts';
import { relayedResponseHeaders } from '../proxy/header-hygiene.ts';
import {
  CLIENT_CLOSED,
  RoutePipeline,
  type ForwardTrace,
  type SendUpstream,
} from '../proxy/pipeline.ts';
import { readBody } from '../proxy/read-body.ts';
import { observeBody } from '../proxy/request-hooks.ts';
import { RequestRefusedError } from '../proxy/request-refused.ts';
import { isWebSocketUpgrade } from '../proxy/websocket-handshake.ts';
import { frameworkErrorOptions } from './framework-errors.ts';
import { routeHealth } from './health.ts';
import { requestRecorder } from './request-log.ts';
import type { RouteServerDeps } from './route-server-deps.ts';
import { attachWebSocketProxy, type WebSocketProxy } from './websocket-proxy.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The pipeline's record of this request, for the log line. */
    keyless: ForwardTrace;
  }
}

/** Every method a client may proxy. */
const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

/** How often Node looks for requests that passed KEYLESS_REQUEST_TIMEOUT_MS, ms. */
const REQUEST_TIMEOUT_CHECK_MS = 1_000;

/** A route's listener and its WebSocket proxy. */
export interface RouteServer {
  readonly app: FastifyInstance;
  readonly websockets: WebSocketProxy;
}

/**
 * One listener of one route: `GET /health` (api-proxy compatible), WebSocket
 * upgrades, and every other request through the route's pipeline to its
 * upstream. `credential` is undefined for a route that is not configured.
 */
export async function createRouteServer(
  route: RouteConfig,
  credential: RouteCredential | undefined,
  routes: readonly { readonly name: string; readonly credential?: RouteCredential }[],
  deps: RouteServerDeps,
): Promise<RouteServer> {
  const log = deps.logger.child({ route: route.name });
  const pipeline = new RoutePipeline(route, credential, { ...deps, logger: log });
  const record = requestRecorder(route.name, log, deps.metrics);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Node's own guard for receiving the request; it never limits the response.
    requestTimeout: deps.requestTimeoutMs,
    return503OnClosing: true,
    http: {
      // Only WebSocket handshakes become upgrades; `Upgrade: h2c` and the like stay plain HTTP.
      shouldUpgradeCallback: isWebSocketUpgrade,
      // Node arms the request timeout only when the server is created with it.
      requestTimeout: deps.requestTimeoutMs,
      // Node checks request timeouts on this interval (30 s by default), not at the deadline.
      connectionsCheckingInterval: Math.min(REQUEST_TIMEOUT_CHECK_MS, deps.requestTimeoutMs),
    } as never,
    // The router decodes paths and refuses malformed escapes (`/v1/%zz`) that SPEC section 6
    // forwards byte for byte: route those by a stand-in; the handler reads `originalUrl`.
    rewriteUrl: routableUrl,
    // Fastify's and Node's own refusals in the route's error shape.
    ...frameworkErrorOptions((code, message) => pipeline.error(code, message)),
  });

  app.decorateRequest('keyless', null as unknown as ForwardTrace);
  app.addHook('onRequest', async (request) => {
    request.keyless = { replayed: false };
  });
  app.addHook('onResponse', async (request, reply) => {
    record({
      method: request.method,
      target: request.originalUrl,
      status: reply.raw.writableFinished ? reply.statusCode : CLIENT_CLOSED,
      durationMs: reply.elapsedTime,
      websocket: false,
      trace: request.keyless,
    });
  });

  // The body is read by the handler, bounded, once the request was admitted.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // A client that went away is not a failure of the gateway: nobody reads an answer. (Its
    // socket, not the request: a request stream is destroyed once its body was read.)
    if (request.raw.socket.destroyed) return reply.code(CLIENT_CLOSED).send();
    const refusal =
      error instanceof RequestRefusedError
        ? pipeline.error(error.code, error.message, error.headers)
        : undefined;
    if (!refusal) request.log.error({ event: 'request.failed', err: error }, 'request failed');
    const answer =
      refusal ??
      pipeline.error(
        (error.statusCode ?? 500) < 500 ? 'bad_request' : 'upstream_unreachable',
        error.message,
      );
    // An answer that failed before its head was sent must not keep the upstream's headers.
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
    return sendGatewayError(reply, answer);
  });

  app.get('/health', async () => routeHealth(route.name, routes));

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pipeline.admit(request.originalUrl, request.headers);
    if (typeof path !== 'string') return sendGatewayError(reply, path);

    const aborted = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    const payload = request.body as IncomingMessage | undefined;
    const read = payload
      ? await readBody(payload, request.headers, deps.bodyLimit, deps.bodyBudget)
      : undefined;
    if (read) reply.raw.once('close', read.release);

    const send: SendUpstream = async (outgoing, body) => {
      const answer = await deps.dispatcher.request({
        origin: outgoing.origin,
        path: outgoing.path,
        method: outgoing.method as Dispatcher.HttpMethod,
        headers: outgoing.headers,
        body: body?.length ? body : undefined,
        signal: aborted.signal,
        headersTimeout: deps.upstreamTimeoutMs,
        bodyTimeout: deps.upstreamTimeoutMs,
      });
      return {
        status: answer.statusCode,
        headers: answer.headers as IncomingHttpHeaders,
        body: answer.body,
      };
    };

    const result = await pipeline.forward(
      {
        method: request.method,
        path,
        headers: request.headers,
        body: read?.body,
        websocket: false,
      },
      send,
      aborted.signal,
      request.keyless,
    );
    switch (result.kind) {
      case 'aborted':
        return reply.code(CLIENT_CLOSED).send();
      case 'error':
        return sendGatewayError(reply, result.error);
      case 'answer':
        return reply
          .code(result.answer.status)
          .headers(relayedResponseHeaders(result.answer.headers))
          .send(observeBody(result.answer.body, result.observer));
    }
  };
  app.route({ method: METHODS, url: '/*', handler: forward });
  app.route({ method: METHODS, url: '/', handler: forward });

  return {
    app,
    websockets: attachWebSocketProxy(app.server, route, pipeline, record, deps),
  };
}

/** Stands in for a target whose path the router cannot decode; any path but /health will do. */
const UNDECODABLE_PATH = '/undecodable-path';

/** `request.url`, or a stand-in the router can decode when its path has malformed escapes. */
function routableUrl(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  try {
    decodeURI(path);
    return url;
  } catch {
    return queryAt < 0 ? UNDECODABLE_PATH : `${UNDECODABLE_PATH}${url.slice(queryAt)}`;
  }
}
