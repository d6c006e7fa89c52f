import type { Duplex } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';
import type { GatewayErrorCode } from '../proxy/error-codes.ts';
import { sendGatewayError, type GatewayErrorResponse } from '../proxy/gateway-errors.ts';
import { writeRawResponse } from './raw-response.ts';

/** Makes a listener's gateway-made answer (its error shape, the message redacted). */
export type FrameworkErrorAnswer = (
  code: GatewayErrorCode,
  message: string,
) => GatewayErrorResponse;

/**
 * Fastify options that answer the framework's own refusals through `answer`
 * instead of Fastify's default body, which quotes the raw request (a key in a
 * malformed path would come back as sent): a path Fastify cannot decode, and
 * requests Node cannot parse, which never reach Fastify.
 */
export function frameworkErrorOptions(
  answer: FrameworkErrorAnswer,
): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return {
    frameworkErrors: (error, _request, reply) => {
      sendGatewayError(reply, answer('bad_request_target', error.message));
    },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      writeRawResponse(socket, answer(clientErrorCode(error.code), clientErrorText(error)));
      socket.destroy();
    },
  };
}

function clientErrorCode(code: string | undefined): GatewayErrorCode {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  return 'bad_request';
}

function clientErrorText(error: NodeJS.ErrnoException): string {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return 'the request was not received in time (KEYLESS_REQUEST_TIMEOUT_MS)';
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'request headers too large';
  return `malformed HTTP request (${error.code ?? 'parse error'})`;
}
