import type https from 'node:https';
import type { PluginEgress } from '@keyless/auth-core';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Bound on establishing the STS connection (incl. a proxy tunnel), ms. */
export const STS_CONNECTION_TIMEOUT_MS = 10_000;
/** Bound on a silent STS answer, ms; the core retries, so an acquisition must not hang. */
export const STS_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A NodeHttpHandler that hands each request to a handler whose agent comes
 * from the core's egress for its endpoint (through the proxy or direct,
 * keep-alive off: the handler serves one call and is destroyed after it), and
 * passes `signal` to it: the STS client built by `fromWebToken` offers no
 * per-call abort option.
 */
class StsRequestHandler extends NodeHttpHandler {
  readonly #egress: PluginEgress;
  readonly #signal: AbortSignal;
  /** By target origin. */
  readonly #routes = new Map<string, NodeHttpHandler>();

  constructor(egress: PluginEgress, signal: AbortSignal) {
    super();
    this.#egress = egress;
    this.#signal = signal;
  }

  override handle(
    ...[request, options]: Parameters<NodeHttpHandler['handle']>
  ): ReturnType<NodeHttpHandler['handle']> {
    // Only here is the endpoint known: the SDK resolves it (region, AWS_ENDPOINT_URL_STS, FIPS).
    const host = request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname;
    const target = `${request.protocol}//${host}${request.port ? `:${request.port}` : ''}`;
    let route = this.#routes.get(target);
    if (route === undefined) {
      const agent = this.#egress.createAgent(target);
      route = new NodeHttpHandler({
        ...(request.protocol === 'https:'
          ? { httpsAgent: agent as https.Agent }
          : { httpAgent: agent }),
        connectionTimeout: STS_CONNECTION_TIMEOUT_MS,
        requestTimeout: STS_REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      });
      this.#routes.set(target, route);
    }
    return route.handle(request, { ...options, abortSignal: options?.abortSignal ?? this.#signal });
  }

  override destroy(): void {
    for (const route of this.#routes.values()) route.destroy();
    super.destroy();
  }
}

/**
 * The request handler for one STS call. The AWS SDK ignores HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY: NodeHttpHandler builds its own agents without
 * `proxyEnv`, so even NODE_USE_ENV_PROXY=1 does not reach them (checked with
 * @smithy/node-http-handler 4.14 on Node 22.23). Its agents come from the
 * core's egress instead, with the proxy parsed once from the configuration.
 */
export function createStsRequestHandler(
  egress: PluginEgress,
  signal: AbortSignal,
): NodeHttpHandler {
  return new StsRequestHandler(egress, signal);
}
