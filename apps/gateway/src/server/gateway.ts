import {
  ConfigError,
  CredentialPool,
  IdTokenMinter,
  Redactor,
  createCredentialMetrics,
  createEgressDispatcher,
  createLogger,
  egressProxySecrets,
  staticCredential,
  type RouteCredential,
} from '@keyless/auth-core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { GatewayConfig, RouteAuth, RouteConfig } from '../config/gateway-config.ts';
import { BodyBudget } from '../proxy/body-budget.ts';
import { startPolicies } from '../policies/start-policies.ts';
import { startUsage } from '../usage/start-usage.ts';
import { createGatewayMetrics } from './gateway-metrics.ts';
import { createManagementServer } from './management-server.ts';
import { requestLineMessage } from './request-log.ts';
import { createRouteServer } from './route-server.ts';
import type { RouteServerDeps } from './route-server-deps.ts';
import type { WebSocketProxy } from './websocket-proxy.ts';
import type { TelemetrySettings } from '../telemetry/telemetry-settings.ts';

/** How long a stopping gateway waits for its last spans to be exported, ms. */
export const TELEMETRY_FLUSH_MS = 1_000;

/** What the gateway needs besides its configuration. */
export interface GatewayOptions {
  /** Trace export settings (`readTelemetrySettings`); absent: tracing off. */
  readonly telemetry?: TelemetrySettings;
  /** The version reported as the traces' `service.version`. */
  readonly version?: string;
}

/** A gateway that is listening. */
export interface RunningGateway {
  readonly logger: Logger;
  /** Base URL of each route listener by route name. */
  readonly urls: Readonly<Record<string, string>>;
  readonly managementUrl: string;
  /** Stops accepting, lets in-flight requests finish up to the grace bound, then closes everything. */
  close(): Promise<void>;
}

/**
 * Starts every configured route listener and the management listener. Static
 * secrets and proxy passwords are registered for redaction before anything is logged.
 */
export async function startGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const redactor = new Redactor();
  for (const route of config.routes) {
    if (route.auth.kind === 'static') redactor.register(route.auth.key);
  }
  if (config.clientKey) redactor.register(config.clientKey);
  for (const secret of egressProxySecrets(config.egress)) redactor.register(secret);

  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    redactor,
    prettyMessage: requestLineMessage,
  });
  const registry = new Registry();
  const metrics = createGatewayMetrics(registry);
  const credentialMetrics = createCredentialMetrics(registry);
  const policies = startPolicies(config.policies, logger, registry);
  const usage = startUsage(config.usage, logger, registry, [policies.hook.usageSink]);
  // The SDK is loaded only when tracing is on: without it, nothing of it is in memory.
  const telemetry = options.telemetry
    ? await import('../telemetry/start-telemetry.ts').then(({ startTelemetry }) =>
        startTelemetry(options.telemetry!, {
          logger,
          redactor,
          egress: config.egress,
          version: options.version ?? 'unknown',
        }),
      )
    : undefined;
  const dispatcher = createEgressDispatcher({
    proxy: config.egress,
    timeoutMs: config.upstreamTimeoutMs,
  });

  let pool: CredentialPool | undefined;
  const credentialFor = (route: RouteConfig): RouteCredential | undefined => {
    if (route.auth.kind === 'unconfigured') return undefined;
    if (route.auth.kind === 'static') return staticCredential(route.auth.header, route.auth.value);
    pool ??= new CredentialPool({
      minter: new IdTokenMinter({ config: route.auth.oidc, redactor, dispatcher }),
      redactor,
      logger,
      metrics: credentialMetrics,
      auth: route.auth.type,
      waitTimeoutMs: config.credentialWaitMs,
      egress: { proxy: config.egress, dispatcher },
    });
    return pool.get(route.auth.plugin, route.auth.config, route.auth.wireFormat);
  };

  for (const warning of config.warnings) logger.warn({ event: 'config.warning' }, warning);
  logger.info(
    {
      event: 'gateway.routes',
      routes: config.routes.map((route) => ({
        route: route.name,
        port: route.port,
        upstream: route.upstream.origin + route.upstream.basePath,
        auth: describeAuth(route.auth),
      })),
    },
    'configured routes',
  );

  const credentials = config.routes.map((route) => ({ route, credential: credentialFor(route) }));
  const configured = credentials.flatMap(({ route, credential }) =>
    credential ? [{ name: route.name, credential }] : [],
  );
  for (const { name, credential } of configured) credentialMetrics.trackExpiry(name, credential);
  const health = credentials.map(({ route, credential }) => ({ name: route.name, credential }));
  const deps: RouteServerDeps = {
    logger,
    redactor,
    dispatcher,
    metrics,
    credentialMetrics,
    bodyLimit: config.bodyLimit,
    bodyBudget: new BodyBudget(config.bufferLimit),
    requestTimeoutMs: config.requestTimeoutMs,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    clientKey: config.clientKey,
    egress: config.egress,
    hooks: [policies.hook, usage.hook],
    ...(telemetry ? { tracing: telemetry.tracing } : {}),
  };
  const servers: FastifyInstance[] = [];
  const websockets: WebSocketProxy[] = [];
  const urls: Record<string, string> = {};
  const closeAll = async () => {
    await Promise.allSettled(servers.map((server) => server.close()));
    pool?.close();
    await dispatcher.close();
    await usage.close();
    // Spans of the requests that just finished go out last, within a bound.
    await telemetry?.shutdown(TELEMETRY_FLUSH_MS);
  };
  try {
    for (const { route, credential } of credentials) {
      const { app, websockets: sockets } = await createRouteServer(route, credential, health, deps);
      servers.push(app);
      websockets.push(sockets);
      urls[route.name] = await listen(app, config.host, route.port, route.portSetting);
    }
    const management = createManagementServer(
      configured,
      registry,
      logger,
      redactor,
      policies.report,
    );
    servers.push(management);
    const managementUrl = await listen(
      management,
      config.host,
      config.managementPort,
      'KEYLESS_MANAGEMENT_PORT',
    );
    pool?.start();
    logger.info({ event: 'gateway.listening', urls, managementUrl }, 'keyless is listening');

    return {
      logger,
      urls,
      managementUrl,
      close: async () => {
        logger.info({ event: 'gateway.stopping', graceMs: config.shutdownGraceMs }, 'stopping');
        const grace = setTimeout(() => {
          logger.warn({ event: 'gateway.grace_expired' }, 'closing connections still open');
          for (const proxy of websockets) proxy.closeAll();
          for (const server of servers) server.server.closeAllConnections();
        }, config.shutdownGraceMs);
        await closeAll();
        clearTimeout(grace);
        logger.info({ event: 'gateway.stopped' }, 'stopped');
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The startup table's auth column: never a secret. */
function describeAuth(auth: RouteAuth): string {
  if (auth.kind === 'static') return `static (${auth.variable})`;
  if (auth.kind === 'unconfigured') return 'not configured';
  return `${auth.type} (${auth.plugin.name})`;
}

/** Listens, naming the setting of a port that is taken or not allowed. */
async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  variable: string,
): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new ConfigError(
        `${variable}: cannot listen on ${host}:${port} (${code}); choose another port or stop what uses it`,
        { cause: error },
      );
    }
    throw error;
  }
}
