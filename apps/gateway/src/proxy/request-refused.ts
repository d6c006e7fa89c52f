import type { GatewayErrorCode } from './error-codes.ts';

/** The gateway refuses a request with one of its own errors (answered in the route's shape). */
export class RequestRefusedError extends Error {
  readonly code: GatewayErrorCode;
  readonly headers: Record<string, string>;

  constructor(code: GatewayErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'RequestRefusedError';
    this.code = code;
    this.headers = headers;
  }
}
