import type { FastifyReply } from 'fastify';
import type { Flavor } from '../config/flavors.ts';
import { GATEWAY_ERRORS, type GatewayErrorCode } from './error-codes.ts';

/** A gateway-made answer: status, headers and the flavored, redacted JSON body. */
export interface GatewayErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A route's gateway-made error answer: the flavor's body shape (so that the
 * agent's SDK shows the message) with the message redacted. Every error the
 * gateway answers with, for HTTP and WebSocket alike, is built here.
 */
export function gatewayError(
  flavor: Flavor,
  redact: (text: string) => string,
  code: GatewayErrorCode,
  message: string,
  headers: Record<string, string> = {},
): GatewayErrorResponse {
  const status = GATEWAY_ERRORS[code];
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'x-keyless-error': code },
    body: JSON.stringify(flavor.errorBody(code, status, redact(message))),
  };
}

/** Sends a gateway error through Fastify. */
export function sendGatewayError(reply: FastifyReply, error: GatewayErrorResponse): FastifyReply {
  return reply.code(error.status).headers(error.headers).send(error.body);
}
