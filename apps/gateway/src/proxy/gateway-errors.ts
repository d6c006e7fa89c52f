import type { FastifyReply } from 'fastify';
import type { Flavor } from '../config/flavors.ts';

/** Errors the gateway itself answers with: code -> HTTP status. */
export const GATEWAY_ERRORS = {
  bad_request_target: 400,
  unauthorized_client: 401,
  payload_too_large: 413,
  upstream_unreachable: 502,
  credential_unavailable: 503,
  upstream_timeout: 504,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** Closest Anthropic error type, so that Anthropic SDKs classify (and retry) correctly. */
const ANTHROPIC_TYPES: Record<GatewayErrorCode, string> = {
  bad_request_target: 'invalid_request_error',
  unauthorized_client: 'authentication_error',
  payload_too_large: 'request_too_large',
  upstream_unreachable: 'api_error',
  credential_unavailable: 'overloaded_error',
  upstream_timeout: 'api_error',
};

/** gRPC-style status names used in Google API error bodies. */
const GOOGLE_STATUS: Record<GatewayErrorCode, string> = {
  bad_request_target: 'INVALID_ARGUMENT',
  unauthorized_client: 'UNAUTHENTICATED',
  payload_too_large: 'INVALID_ARGUMENT',
  upstream_unreachable: 'UNAVAILABLE',
  credential_unavailable: 'UNAVAILABLE',
  upstream_timeout: 'DEADLINE_EXCEEDED',
};

/** The error body in the shape the route's client SDK reads. `message` must already be redacted. */
export function gatewayErrorBody(flavor: Flavor, code: GatewayErrorCode, message: string): unknown {
  switch (flavor.name) {
    case 'anthropic':
      return { type: 'error', error: { type: ANTHROPIC_TYPES[code], message, code } };
    case 'google':
      return {
        error: {
          code: GATEWAY_ERRORS[code],
          message,
          status: GOOGLE_STATUS[code],
          keyless_code: code,
        },
      };
    case 'bedrock':
      return { message, code };
    default:
      return { error: { message, type: 'keyless_error', code } };
  }
}

/** Sends a gateway-made error in the route's flavor. */
export function sendGatewayError(
  reply: FastifyReply,
  flavor: Flavor,
  code: GatewayErrorCode,
  message: string,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(GATEWAY_ERRORS[code])
    .headers({ ...headers, 'x-keyless-error': code })
    .type('application/json')
    .send(gatewayErrorBody(flavor, code, message));
}
