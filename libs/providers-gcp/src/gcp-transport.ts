import type { AcquireContext } from '@keyless/auth-core';
import { gaxios } from 'google-auth-library';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { GcpMalformedAnswerError } from './errors.ts';
import { GCP_IAM_HOP, GCP_STS_HOP, type GcpHop } from './gcp-hops.ts';

/** Per-request bound of one exchange hop, ms (Google answers in well under a second). */
export const GCP_HOP_TIMEOUT_MS = 30_000;

/** How a transport for one hop of one acquisition behaves. */
export interface GcpTransportInit {
  readonly hop: GcpHop;
  readonly context: AcquireContext;
  /** Egress (proxy-aware) dispatcher for undici's fetch. */
  readonly dispatcher: Dispatcher;
  /** Called when the hop's request starts (to attribute failures to it). */
  readonly onStart?: (hop: GcpHop) => void;
  /** Per-request timeout, ms. */
  readonly timeoutMs?: number;
}

type FetchImplementation = NonNullable<gaxios.GaxiosOptions['fetchImplementation']>;

/** The token field of each hop's answer: STS `access_token`, IAM Credentials `accessToken`. */
const TOKEN_FIELD: Record<GcpHop, string> = {
  [GCP_STS_HOP]: 'access_token',
  [GCP_IAM_HOP]: 'accessToken',
};

/**
 * Registers the answer's token and checks its shape: the SDK assumes a JSON
 * object and would crash with a TypeError on, say, a captive portal's HTML.
 */
function acceptAnswer(hop: GcpHop, data: unknown, registerSecret: (value: string) => void): void {
  if (typeof data !== 'object' || data === null)
    throw new GcpMalformedAnswerError(hop, 'a JSON object');
  const token = (data as Record<string, unknown>)[TOKEN_FIELD[hop]];
  if (typeof token !== 'string' || !token)
    throw new GcpMalformedAnswerError(hop, `"${TOKEN_FIELD[hop]}"`);
  registerSecret(token);
  if (
    hop !== GCP_STS_HOP &&
    !Number.isFinite(Date.parse(String((data as Record<string, unknown>).expireTime)))
  ) {
    throw new GcpMalformedAnswerError(hop, 'a valid "expireTime"');
  }
}

/**
 * The gaxios instance google-auth-library uses for one hop of one acquisition:
 * - times the call as `context.hop(hop)`;
 * - registers the answer's token for redaction before the SDK sees it
 *   (including the intermediate STS token when impersonating), and refuses
 *   answers without one;
 * - no SDK retries (the core owns retries with backoff; gaxios would retry a
 *   5xx three times with its own delays) and `context.signal` cancels the call;
 * - egress through undici with the configured proxy dispatcher;
 * - never follows a redirect (`redirect: 'manual'`).
 */
export class GcpTransport extends gaxios.Gaxios {
  readonly #init: GcpTransportInit;

  constructor(init: GcpTransportInit) {
    const dispatcher = init.dispatcher;
    const fetchImplementation: FetchImplementation = (input, requestInit) =>
      // undici's fetch has its own (compatible) types; the dispatcher is the point.
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(requestInit as Parameters<typeof undiciFetch>[1]),
        dispatcher,
        // fetch follows redirects by default, re-POSTing the GitHub token (STS) to any origin,
        // plain http included: a 3xx is returned as is and gaxios rejects it (mapGcpError names it).
        redirect: 'manual',
      }) as unknown as ReturnType<FetchImplementation>;
    super({ fetchImplementation, timeout: init.timeoutMs ?? GCP_HOP_TIMEOUT_MS });
    this.#init = init;
  }

  override async request<T = ReturnType<JSON['parse']>>(
    options: gaxios.GaxiosOptions = {},
  ): Promise<gaxios.GaxiosResponse<T>> {
    const { hop, context, onStart } = this.#init;
    onStart?.(hop);
    return context.hop(hop, async () => {
      const response = await super.request<T>({
        ...options,
        retry: false,
        retryConfig: undefined,
        signal: context.signal,
      });
      acceptAnswer(hop, response.data, (value) => context.registerSecret(value));
      return response;
    });
  }
}
