import type { RouteCredential } from '@keyless/auth-core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isUsable } from './readiness.ts';

/** A configured route as the management endpoints report it. */
export interface RouteReport {
  readonly name: string;
  readonly credential: RouteCredential;
}

/** `/healthz` (liveness), `/readyz` (every route has a usable credential; policy state), `/metrics`. */
export function createManagementServer(
  routes: readonly RouteReport[],
  registry: Registry,
  logger: Logger,
  /** Each request policy's state (budget left, current rate); it never changes readiness. */
  policies: () => readonly object[] = () => [],
): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger.child({ server: 'management' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });

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
