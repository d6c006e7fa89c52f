import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayErrorCode } from '../proxy/error-codes.ts';

/**
 * A wire flavor: everything the gateway knows about a provider's wire format,
 * in one record. Which header carries a key, which headers a request gets by
 * default, where clients present their key, which error body their SDKs read,
 * and which upstream answers reject the credential itself.
 */
export interface Flavor {
  readonly name: FlavorName;
  /** Header for a static key; `authorization` values get the `Bearer ` scheme. */
  readonly keyHeader: 'authorization' | 'api-key' | 'x-api-key' | 'x-goog-api-key';
  /** Headers added when the client did not send them. */
  readonly defaultHeaders: Readonly<Record<string, string>>;
  /** Headers in which this flavor's client SDKs send their key (for KEYLESS_CLIENT_KEY). */
  readonly clientKeyHeaders: readonly string[];
  /** The error body this flavor's SDKs read; `message` is already redacted. */
  errorBody(code: GatewayErrorCode, status: number, message: string): unknown;
  /**
   * True when an upstream answer rejects the credential itself, so that a new
   * credential and one replay can fix it. `body` is a bounded prefix.
   */
  rejectsCredential(status: number, headers: IncomingHttpHeaders, body: string): boolean;
}

export const FLAVOR_NAMES = ['openai', 'azure', 'anthropic', 'google', 'bedrock'] as const;
export type FlavorName = (typeof FLAVOR_NAMES)[number];

/** Wording of a 403 that means "your token or signature expired", as the major clouds phrase it. */
const EXPIRED =
  /ExpiredToken|(?:token|signature)[^.]{0,80}expired|expired[^.]{0,40}(?:token|signature)/i;

/** Any 401, or a 403 whose body says the token or signature expired. */
function rejectsExpired(status: number, _headers: IncomingHttpHeaders, body: string): boolean {
  return status === 401 || (status === 403 && EXPIRED.test(body));
}

function openAiError(code: GatewayErrorCode, _status: number, message: string): unknown {
  return { error: { message, type: 'keyless_error', code } };
}

/** Closest Anthropic error type, so that Anthropic SDKs classify (and retry) correctly. */
const ANTHROPIC_TYPES: Record<GatewayErrorCode, string> = {
  bad_request: 'invalid_request_error',
  bad_request_target: 'invalid_request_error',
  model_not_allowed: 'invalid_request_error',
  unauthorized_client: 'authentication_error',
  request_timeout: 'timeout_error',
  payload_too_large: 'request_too_large',
  rate_limited: 'rate_limit_error',
  budget_exhausted: 'rate_limit_error',
  headers_too_large: 'invalid_request_error',
  upstream_unreachable: 'api_error',
  credential_unavailable: 'overloaded_error',
  route_not_configured: 'api_error',
  overloaded: 'overloaded_error',
  upstream_timeout: 'api_error',
};

/** gRPC-style status names used in Google API error bodies. */
const GOOGLE_STATUS: Record<GatewayErrorCode, string> = {
  bad_request: 'INVALID_ARGUMENT',
  bad_request_target: 'INVALID_ARGUMENT',
  model_not_allowed: 'INVALID_ARGUMENT',
  unauthorized_client: 'UNAUTHENTICATED',
  request_timeout: 'DEADLINE_EXCEEDED',
  payload_too_large: 'INVALID_ARGUMENT',
  rate_limited: 'RESOURCE_EXHAUSTED',
  budget_exhausted: 'RESOURCE_EXHAUSTED',
  headers_too_large: 'INVALID_ARGUMENT',
  upstream_unreachable: 'UNAVAILABLE',
  credential_unavailable: 'UNAVAILABLE',
  route_not_configured: 'FAILED_PRECONDITION',
  overloaded: 'RESOURCE_EXHAUSTED',
  upstream_timeout: 'DEADLINE_EXCEEDED',
};

export const FLAVORS: Readonly<Record<FlavorName, Flavor>> = {
  openai: {
    name: 'openai',
    keyHeader: 'authorization',
    defaultHeaders: {},
    clientKeyHeaders: ['authorization', 'api-key'],
    errorBody: openAiError,
    rejectsCredential: rejectsExpired,
  },
  azure: {
    name: 'azure',
    keyHeader: 'api-key',
    defaultHeaders: {},
    clientKeyHeaders: ['api-key', 'authorization'],
    errorBody: openAiError,
    rejectsCredential: rejectsExpired,
  },
  anthropic: {
    name: 'anthropic',
    keyHeader: 'x-api-key',
    defaultHeaders: { 'anthropic-version': '2023-06-01' },
    clientKeyHeaders: ['x-api-key', 'authorization'],
    errorBody: (code, _status, message) => ({
      type: 'error',
      error: { type: ANTHROPIC_TYPES[code], message, code },
    }),
    rejectsCredential: rejectsExpired,
  },
  google: {
    name: 'google',
    keyHeader: 'x-goog-api-key',
    defaultHeaders: {},
    clientKeyHeaders: ['x-goog-api-key', 'authorization'],
    errorBody: (code, status, message) => ({
      error: { code: status, message, status: GOOGLE_STATUS[code], keyless_code: code },
    }),
    rejectsCredential: rejectsExpired,
  },
  bedrock: {
    name: 'bedrock',
    keyHeader: 'authorization',
    defaultHeaders: {},
    clientKeyHeaders: ['authorization'],
    errorBody: (code, _status, message) => ({ message, code }),
    // Bedrock names the error in a header; its body wording varies by operation.
    rejectsCredential: (status, headers, body) =>
      rejectsExpired(status, headers, body) ||
      (status === 403 && EXPIRED.test(String(headers['x-amzn-errortype'] ?? ''))),
  },
};
