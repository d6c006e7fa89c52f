import httpProxy from '@fastify/http-proxy';
import {
  type Attachment,
  type CredentialMetrics,
  type EgressProxy,
  type OutgoingRequest,
  type Redactor,
  type RouteCredential,
} from '@keyless/auth-core';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { RouteConfig } from '../config/gateway-config.ts';
import { admit } from '../proxy/admission.ts';
import { credentialUnavailable } from '../proxy/credential-unavailable.ts';
import { sendGatewayError } from '../proxy/gateway-errors.ts';
import { forwardedRequestHeaders } from '../proxy/header-hygiene.ts';
import { BadRequestTargetError } from '../proxy/request-target.ts';
import { rejectsCredential } from '../proxy/upstream-rejection.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import { isUsable } from './readiness.ts';
import { attachWebSocketProxy, type WebSocketProxy } from './websocket-proxy.ts';

/** What every route server shares. */
export interface RouteServerDeps {
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** Egress dispatcher: TLS verification on, proxy environment honoured. */
  readonly dispatcher: Dispatcher;
  readonly metrics: GatewayMetrics;
  readonly credentialMetrics: CredentialMetrics;
  /** Bytes. */
  readonly bodyLimit: number;
  readonly upstreamTimeoutMs: number;
  readonly clientKey: string | undefined;
  /** The configured egress proxy (WebSocket upgrades need it as an agent). */
  readonly egress: EgressProxy;
}

/** Per-request bookkeeping for the request log line. */
interface ProxyState {
  path?: string;
  upstreamStatus?: number;
  credentialAcquiredAt?: number;
  replayed: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    keyless: ProxyState;
  }
}

/** What reply-from hands to `onResponse` (undici under the hood). */
interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly stream: NodeJS.ReadableStream;
}

/** Upstream error bodies read to classify a 403 are small; never hold more than this. */
const MAX_REJECTION_BODY = 64 * 1024;

/** A route's listener and its WebSocket proxy. */
export interface RouteServer {
  readonly app: FastifyInstance;
  readonly websockets: WebSocketProxy;
}

/**
 * One listener of one route: `GET /health` (api-proxy compatible), WebSocket
 * upgrades, and everything else proxied to the route's upstream with the
 * route's credential.
 */
export async function createRouteServer(
  route: RouteConfig,
  credential: RouteCredential,
  deps: RouteServerDeps,
): Promise<RouteServer> {
  const { flavor } = route;
  const log = deps.logger.child({ route: route.name });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    // Model calls can stream for many minutes; the upstream timeout bounds them instead.
    requestTimeout: 0,
    return503OnClosing: true,
  });

  app.decorateRequest('keyless', null as unknown as ProxyState);
  app.addHook('onRequest', async (request) => {
    request.keyless = { replayed: false };
  });

  // The body is forwarded byte for byte: never parse it, only bound it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const message = deps.redactor.describe(error);
    if (error.statusCode === 413)
      return sendGatewayError(reply, flavor, 'payload_too_large', message);
    if (error instanceof BadRequestTargetError || error.statusCode === 400) {
      return sendGatewayError(reply, flavor, 'bad_request_target', message);
    }
    request.log.error({ event: 'request.failed', err: error }, 'request failed');
    return sendGatewayError(reply, flavor, 'upstream_unreachable', message);
  });

  app.addHook('onResponse', async (request, reply) => {
    const state = request.keyless;
    deps.metrics.requests.inc({ route: route.name, status: String(reply.statusCode) });
    request.log.info({
      event: 'request',
      method: request.method,
      path: (state.path ?? request.url).split('?', 1)[0],
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      upstreamStatus: state.upstreamStatus,
      credentialAgeS:
        state.credentialAcquiredAt === undefined
          ? undefined
          : Math.round((Date.now() - state.credentialAcquiredAt) / 1000),
      replayed: state.replayed,
    });
  });

  app.get('/health', async (_request, reply) => {
    const status = credential.status();
    const healthy = isUsable(status);
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'unavailable',
      service: 'keyless',
      route: route.name,
      provider: credential.provider,
      auth: credential.auth,
      credential: status.state,
    });
  });

  const origin = route.upstream.origin;
  const host = new URL(origin).host;

  /** Validates the target and the client key; runs after the body was bounded. */
  async function admitted(request: FastifyRequest, reply: FastifyReply) {
    const admission = admit(
      request.raw.url ?? '/',
      request.headers,
      route.upstream,
      deps.clientKey,
    );
    if ('refuse' in admission)
      return sendGatewayError(reply, flavor, admission.refuse, admission.message);
    request.keyless.path = admission.path;
  }

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = request.keyless.path!;
    const body =
      Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;

    const send = async (attempt: 'first' | 'replay'): Promise<FastifyReply> => {
      const outgoing: OutgoingRequest = {
        method: request.method,
        origin,
        path,
        headers: forwardedRequestHeaders(request.headers),
        ...(credential.signsBody ? { body: body ?? new Uint8Array() } : {}),
      };
      for (const [name, value] of Object.entries(flavor.defaultHeaders ?? {})) {
        outgoing.headers[name] ??= value;
      }
      outgoing.headers.host = host;
      if (body) outgoing.headers['content-length'] = String(body.length);

      let attachment: Attachment;
      try {
        attachment = await credential.attach(outgoing);
      } catch (error) {
        return unavailable(reply, error);
      }
      request.keyless.credentialAcquiredAt = attachment.acquiredAt;
      const sentAt = performance.now();

      return reply.from(path, {
        ...(body
          ? { body, contentType: request.headers['content-type'] ?? 'application/octet-stream' }
          : {}),
        rewriteRequestHeaders: () => outgoing.headers,
        // `path` carries the filtered query; without this reply-from falls back to the client's.
        queryString: (search: string | undefined) => search?.slice(1) ?? '',
        timeout: deps.upstreamTimeoutMs,
        onError: (errorReply, { error }) => {
          const message = `upstream ${origin}: ${deps.redactor.describe(error)}`;
          request.log.warn({ event: 'upstream.error', message }, 'upstream request failed');
          const code =
            (error as { statusCode?: number }).statusCode === 504
              ? 'upstream_timeout'
              : 'upstream_unreachable';
          sendGatewayError(errorReply as FastifyReply, flavor, code, message);
        },
        onResponse: (_request, _reply, raw) => {
          const res = raw as unknown as UpstreamResponse;
          deps.metrics.upstreamLatency.observe(
            { route: route.name },
            (performance.now() - sentAt) / 1000,
          );
          request.keyless.upstreamStatus = res.statusCode;
          const renewable = credential.renewable && attempt === 'first';
          if (!renewable || (res.statusCode !== 401 && res.statusCode !== 403)) {
            reply.send(res.stream);
            return;
          }
          void readSmall(res.stream).then(async (answer) => {
            if (!rejectsCredential(res.statusCode, res.headers, answer.toString('utf8'))) {
              reply.send(answer);
              return;
            }
            request.log.info(
              { event: 'credential.rejected', upstreamStatus: res.statusCode },
              'upstream rejected the credential; renewing and replaying once',
            );
            for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
            try {
              await credential.renew(attachment);
            } catch (error) {
              unavailable(reply, error);
              return;
            }
            request.keyless.replayed = true;
            deps.credentialMetrics.recordReplay(route.name, credential.provider);
            await send('replay');
          });
        },
      });
    };

    return send('first');
  }

  function unavailable(reply: FastifyReply, error: unknown): FastifyReply {
    const { message, headers } = credentialUnavailable(route.name, error, deps.redactor);
    reply.log.warn({ event: 'credential.unavailable', message }, 'credential unavailable');
    return sendGatewayError(reply, flavor, 'credential_unavailable', message, headers);
  }

  await app.register(httpProxy, {
    upstream: origin,
    undici: deps.dispatcher as never,
    disableRequestLogging: true,
    proxyPayloads: false,
    preHandler: admitted,
    handler: forward,
  } as never);

  return { app, websockets: attachWebSocketProxy(app.server, route, credential, deps) };
}

/** Reads a small upstream body (an error answer), bounded. */
async function readSmall(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > MAX_REJECTION_BODY) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
