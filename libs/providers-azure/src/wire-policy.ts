import type { ClientAssertionCredentialOptions } from '@azure/identity';

/** A policy of the SDK's HTTP pipeline (the type @azure/identity accepts in `additionalPolicies`). */
export type PipelinePolicy = NonNullable<
  ClientAssertionCredentialOptions['additionalPolicies']
>[number]['policy'];

/** The last HTTP exchange the SDK made with Entra, as far as error mapping needs it. */
export interface WireRecord {
  /** Request path without the query. */
  readonly path: string;
  /** Status of the answer; absent when the request failed in transport. */
  readonly status?: number;
  readonly contentType?: string;
  /** Body of a non-2xx answer (Entra's error JSON), truncated; success bodies are never kept. */
  readonly errorBody?: string;
  /** False when the answer's body is not JSON (a portal's or proxy's page); absent without a body. */
  readonly json?: boolean;
  /** Origin a 3xx answer points to (never its path or query). */
  readonly redirectTo?: string;
  /** The transport error (a RestError carrying `code`, e.g. ECONNREFUSED). */
  readonly error?: unknown;
}

/** One acquisition's view of the SDK's wire. */
export interface WirePolicy {
  readonly policy: PipelinePolicy;
  /** The last request's outcome: MSAL reports metadata and transport failures without any detail. */
  lastExchange(): WireRecord | undefined;
}

const MAX_ERROR_BODY = 4096;

/**
 * A per-call pipeline policy that (1) ties every request to `signal` (MSAL passes no abort signal
 * down), (2) registers the access token the moment Entra's answer arrives, and (3) remembers the last
 * exchange, because MSAL turns a failed metadata fetch or a dropped connection into an opaque
 * `endpoints_resolution_error` / `network_error`.
 */
export function createWirePolicy(
  signal: AbortSignal,
  registerSecret: (value: string) => void,
): WirePolicy {
  let last: WireRecord | undefined;
  const policy: PipelinePolicy = {
    name: 'keylessWirePolicy',
    async sendRequest(request, next) {
      const own = request.abortSignal;
      request.abortSignal = own instanceof AbortSignal ? AbortSignal.any([own, signal]) : signal;
      const path = new URL(request.url).pathname;
      try {
        const response = await next(request);
        const contentType = response.headers.get('content-type');
        const ok = response.status >= 200 && response.status < 300;
        if (ok) registerAccessToken(response.bodyAsText, registerSecret);
        const json = isJson(response.bodyAsText);
        const redirectTo = originOf(response.headers.get('location'));
        last = {
          path,
          status: response.status,
          ...(json === undefined ? {} : { json }),
          ...(redirectTo === undefined ? {} : { redirectTo }),
          ...(contentType === undefined ? {} : { contentType }),
          ...(ok || response.bodyAsText == null
            ? {}
            : { errorBody: response.bodyAsText.slice(0, MAX_ERROR_BODY) }),
        };
        return response;
      } catch (error) {
        last = { path, error };
        throw error;
      }
    },
  };
  return { policy, lastExchange: () => last };
}

/** Whether a body parses as JSON; undefined without a body. */
function isJson(body: string | null | undefined): boolean | undefined {
  if (!body) return undefined;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

function originOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  try {
    return new URL(location).origin;
  } catch {
    return 'an unparsable location';
  }
}

function registerAccessToken(
  body: string | null | undefined,
  registerSecret: (value: string) => void,
): void {
  if (!body?.includes('access_token')) return;
  try {
    const token: unknown = (JSON.parse(body) as { access_token?: unknown }).access_token;
    if (typeof token === 'string' && token) registerSecret(token);
  } catch {
    // Not JSON: the SDK reports it; nothing to register.
  }
}
