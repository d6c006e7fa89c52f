import http from 'node:http';
import https from 'node:https';
import { proxyUrlFor, type EgressProxy } from '@keyless/auth-core';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Bound on establishing the STS connection (incl. a proxy tunnel), ms. */
export const STS_CONNECTION_TIMEOUT_MS = 10_000;
/** Bound on a silent STS answer, ms; the core retries, so an acquisition must not hang. */
export const STS_REQUEST_TIMEOUT_MS = 30_000;

/** `proxyEnv` exists since Node 22.21 / 24.5; @types/node 22 does not declare it yet. */
type ProxyAgentOptions = http.AgentOptions & { proxyEnv?: Record<string, string> };

/**
 * Node's own agent for one connection, through `proxyUrl` or direct: CONNECT
 * tunnels for https (TLS still verified against the target, NODE_EXTRA_CA_CERTS
 * included), absolute-form requests for http. Keep-alive is off: the handler
 * serves one call and is destroyed after it.
 */
function stsAgent(secure: boolean, proxyUrl: string | undefined): http.Agent {
  // The NO_PROXY decision is already made: Node's own matching differs from undici's.
  const proxyEnv: Record<string, string> =
    proxyUrl === undefined ? {} : { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl };
  const options: ProxyAgentOptions = { keepAlive: false, proxyEnv };
  return secure ? new https.Agent(options) : new http.Agent(options);
}

/**
 * A NodeHttpHandler that hands each request to a handler whose agents go
 * through the proxy `proxyUrlFor` picks for its endpoint (or direct), and
 * passes `signal` to it: the STS client built by `fromWebToken` offers no
 * per-call abort option.
 */
class StsRequestHandler extends NodeHttpHandler {
  readonly #egress: EgressProxy;
  readonly #signal: AbortSignal;
  /** By proxy URL ('' for direct). */
  readonly #routes = new Map<string, NodeHttpHandler>();

  constructor(egress: EgressProxy, signal: AbortSignal) {
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
    const proxyUrl = proxyUrlFor(this.#egress, target);
    let route = this.#routes.get(proxyUrl ?? '');
    if (route === undefined) {
      route = new NodeHttpHandler({
        httpAgent: stsAgent(false, proxyUrl),
        httpsAgent: stsAgent(true, proxyUrl) as https.Agent,
        connectionTimeout: STS_CONNECTION_TIMEOUT_MS,
        requestTimeout: STS_REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      });
      this.#routes.set(proxyUrl ?? '', route);
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
 * @smithy/node-http-handler 4.14 on Node 22.23). Its agents here use Node's
 * built-in proxy support instead, with the proxy auth-core's `proxyUrlFor`
 * picks for the endpoint from the parsed configuration.
 */
export function createStsRequestHandler(egress: EgressProxy, signal: AbortSignal): NodeHttpHandler {
  return new StsRequestHandler(egress, signal);
}
