import { ExchangeError } from '@keyless/auth-core';

/** Hop name of the jwt-bearer exchange (metrics, logs, `keyless doctor`). */
export const ANTHROPIC_TOKEN_HOP = 'anthropic-token';

/**
 * Every error of the exchange as data: code and whether retrying can help
 * before the operator changes something. The README lists them.
 */
export const ANTHROPIC_ERRORS = Object.freeze({
  /** 401, or `invalid_grant`: no federation rule accepts this GitHub token. */
  rejected: { code: 'KEYLESS_ERR_ANTHROPIC_FEDERATION_REJECTED', retryable: false },
  /** Another 4xx: the ids or the request are wrong. */
  invalid: { code: 'KEYLESS_ERR_ANTHROPIC_INVALID_REQUEST', retryable: false },
  /** 404: the token URL is not a token endpoint. */
  notFound: { code: 'KEYLESS_ERR_ANTHROPIC_TOKEN_URL_NOT_FOUND', retryable: false },
  /** 5xx or 429. */
  server: { code: 'KEYLESS_ERR_ANTHROPIC_SERVER_ERROR', retryable: true },
  /** DNS, connection, proxy, TLS, timeout. */
  unreachable: { code: 'KEYLESS_ERR_ANTHROPIC_UNREACHABLE', retryable: true },
  /** 2xx without a usable token, token type or expiry; a body that is not JSON. */
  badAnswer: { code: 'KEYLESS_ERR_ANTHROPIC_BAD_ANSWER', retryable: true },
  /** 3xx: never followed, the GitHub token would go to another URL. */
  redirect: { code: 'KEYLESS_ERR_ANTHROPIC_REDIRECT_REFUSED', retryable: false },
} as const);

/** The kinds of ANTHROPIC_ERRORS. */
export type AnthropicErrorKind = keyof typeof ANTHROPIC_ERRORS;

/** An exchange failure of the anthropic plugin: its kind, the HTTP status when one arrived, a one-line fix. */
export class AnthropicExchangeError extends ExchangeError {
  readonly kind: AnthropicErrorKind;
  /** Status of the token endpoint's answer; absent when none arrived. */
  readonly upstreamStatus: number | undefined;

  constructor(
    kind: AnthropicErrorKind,
    message: string,
    options: { fix: string; cause?: unknown; upstreamStatus?: number },
  ) {
    const { code, retryable } = ANTHROPIC_ERRORS[kind];
    super(code, ANTHROPIC_TOKEN_HOP, message, {
      fix: options.fix,
      retryable,
      cause: options.cause,
    });
    this.name = 'AnthropicExchangeError';
    this.kind = kind;
    this.upstreamStatus = options.upstreamStatus;
  }
}
