import http from 'node:http';
import https from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { ProxyEnv } from './proxy-env.ts';

/** Bound on establishing the STS connection (incl. a proxy tunnel), ms. */
export const STS_CONNECTION_TIMEOUT_MS = 10_000;
/** Bound on a silent STS answer, ms; the core retries, so an acquisition must not hang. */
export const STS_REQUEST_TIMEOUT_MS = 30_000;

/** `proxyEnv` exists since Node 22.21 / 24.5; @types/node 22 does not declare it yet. */
type ProxyAgentOptions = http.AgentOptions & { proxyEnv?: ProxyEnv };

/**
 * A NodeHttpHandler that passes `signal` to every request it handles: the STS
 * client built by `fromWebToken` offers no per-call abort option.
 */
class AbortableNodeHttpHandler extends NodeHttpHandler {
  readonly #signal: AbortSignal;

  constructor(options: NodeHttpHandlerOptions, signal: AbortSignal) {
    super(options);
    this.#signal = signal;
  }

  override handle(
    ...[request, options]: Parameters<NodeHttpHandler['handle']>
  ): ReturnType<NodeHttpHandler['handle']> {
    return super.handle(request, { ...options, abortSignal: options?.abortSignal ?? this.#signal });
  }
}

/**
 * The request handler for one STS call. The AWS SDK ignores HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY: NodeHttpHandler builds its own agents without
 * `proxyEnv`, so even NODE_USE_ENV_PROXY=1 does not reach them (checked with
 * @smithy/node-http-handler 4.14 on Node 22.23). The agents here get Node's
 * built-in proxy support from the parsed config instead: CONNECT tunnels for
 * https endpoints (TLS still verified against the target, NODE_EXTRA_CA_CERTS
 * included), absolute-form requests for http ones, NO_PROXY honoured.
 * Keep-alive is off: the handler serves one call and is destroyed after it.
 */
export function createStsRequestHandler(proxy: ProxyEnv, signal: AbortSignal): NodeHttpHandler {
  const agentOptions: ProxyAgentOptions = { keepAlive: false, proxyEnv: { ...proxy } };
  return new AbortableNodeHttpHandler(
    {
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      connectionTimeout: STS_CONNECTION_TIMEOUT_MS,
      requestTimeout: STS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    signal,
  );
}
