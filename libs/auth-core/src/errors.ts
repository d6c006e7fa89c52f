/**
 * Typed errors of the auth core. Every error carries a stable `code`, the HTTP
 * status a gateway should answer with when the error reaches a client, and, for
 * identity failures, a one-line `fix` that `keyless doctor` prints.
 */
export interface KeylessErrorOptions {
  /** One line telling the operator what to change. */
  fix?: string;
  cause?: unknown;
}

export class KeylessError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fix: string | undefined;

  constructor(code: string, status: number, message: string, options: KeylessErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeylessError';
    this.code = code;
    this.status = status;
    this.fix = options.fix;
  }
}

/** A configuration value is missing or invalid; raised at startup, before listening. */
export class ConfigError extends KeylessError {
  constructor(message: string, options: KeylessErrorOptions = {}) {
    super('KEYLESS_ERR_CONFIG', 500, message, options);
    this.name = 'ConfigError';
  }
}

/**
 * An identity exchange failed (GitHub OIDC, a token service, ...). `retryable` is
 * false when retrying cannot help until the operator fixes something; the core
 * keeps retrying anyway (with backoff) so that a fix applied mid-job is picked up.
 */
export class ExchangeError extends KeylessError {
  readonly retryable: boolean;
  /** Which hop failed, e.g. `github-oidc` or the plugin's exchange name. */
  readonly hop: string;

  constructor(
    code: string,
    hop: string,
    message: string,
    options: KeylessErrorOptions & { retryable?: boolean } = {},
  ) {
    super(code, 503, message, options);
    this.name = 'ExchangeError';
    this.hop = hop;
    this.retryable = options.retryable ?? true;
  }
}

/** No usable credential within the wait bound; the client gets 503 + Retry-After. */
export class CredentialUnavailableError extends KeylessError {
  /** Seconds a client should wait before retrying. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options: KeylessErrorOptions = {}) {
    super('KEYLESS_ERR_CREDENTIAL_UNAVAILABLE', 503, message, options);
    this.name = 'CredentialUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
