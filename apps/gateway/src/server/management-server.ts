import type { Redactor, RouteCredential } from '@keyless/auth-core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { FLAVORS } from '../config/flavors.ts';
import { gatewayError } from '../proxy/gateway-errors.ts';
import { frameworkErrorOptions } from './framework-errors.ts';
import { isUsable } from './readiness.ts';

/** A configured route as the management endpoints report it. */
export interface RouteReport {
  readonly name: string;
  readonly credential: RouteCredential;
}

/**
 * `/healthz` (liveness), `/readyz` (every route has a usable credential; policy
 * state), `/metrics`. Fastify's own refusals (a malformed URL, a request Node
 * cannot parse) answer in the OpenAI error shape with the message redacted;
 * no answer quotes the request's URL.
 */
export function createManagementServer(
  routes: readonly RouteReport[],
  registry: Registry,
  logger: Logger,
  redactor: Pick<Redactor, 'redact'>,
  /** Each request policy's state (budget left, current rate); it never changes readiness. */
  policies: () => readonly object[] = () => [],
): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger.child({ server: 'management' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...frameworkErrorOptions((code, message) =>
      gatewayError(FLAVORS.openai, (text) => redactor.redact(text), code, message),
    ),
  });

  // Fastify's defaults quote the URL or the error: never echo what the caller sent.
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such management endpoint' }),
  );
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
    reply
      .code(error.statusCode ?? 500)
      .send({ error: 'failed', message: redactor.redact(error.message) }),
  );

  app.get('/healthz', async () => ({ status: 'ok', service: 'keyless' }));

  app.get('/readyz', async (_request, reply) => {
    const now = Date.now();
    const report = routes.map(({ name, credential }) => {
      const status = credential.status();
      return {
        route: name,
        provider: credential.provider,
        auth: credential.auth,
        state: status.state,
        ready: isUsable(status, now),
        secondsToExpiry:
          status.expiresAt === undefined
            ? null
            : Math.max(0, Math.floor((status.expiresAt - now) / 1000)),
        lastError: status.lastError ?? null,
      };
    });
    const ready = report.every((route) => route.ready);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', routes: report, policies: policies() });
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  return app;
}
