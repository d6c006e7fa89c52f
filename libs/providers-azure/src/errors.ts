import { ExchangeError } from '@keyless/auth-core';

/** Hop name of the Entra token request, as timed by the core and shown by `keyless doctor`. */
export const ENTRA_HOP = 'entra-token';

/** What is known about a failed Entra call; every field is optional because the SDK hides a lot. */
export interface EntraFailure {
  /** Entra error code, e.g. `AADSTS70021`. */
  readonly aadsts?: string;
  /** OAuth error, e.g. `invalid_client`. */
  readonly oauthError?: string;
  /** HTTP status of Entra's answer. */
  readonly httpStatus?: number;
  /** Transport error code, e.g. `ECONNREFUSED` or `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly networkCode?: string;
}

/** Options every Entra error takes: the one-line fix, the SDK error it came from, what Entra said. */
export interface EntraErrorOptions {
  readonly fix: string;
  readonly cause: unknown;
  readonly failure?: EntraFailure;
}

/**
 * Base of the azure plugin's exchange errors (hop `entra-token`). Subclasses fix `code` and
 * `retryable`; the message carries the AADSTS code when Entra sent one.
 */
export class EntraError extends ExchangeError {
  /** Entra error code, e.g. `AADSTS70021`, when Entra sent one. */
  readonly aadsts: string | undefined;
  /** OAuth error, e.g. `invalid_client`. */
  readonly oauthError: string | undefined;
  /** HTTP status Entra answered with (not the status the gateway answers with, which is `status`). */
  readonly entraStatus: number | undefined;

  constructor(code: string, message: string, retryable: boolean, options: EntraErrorOptions) {
    super(code, ENTRA_HOP, message, { fix: options.fix, cause: options.cause, retryable });
    this.name = 'EntraError';
    this.aadsts = options.failure?.aadsts;
    this.oauthError = options.failure?.oauthError;
    this.entraStatus = options.failure?.httpStatus;
  }
}

/** AADSTS70021/700211/700212/700213/70025: no federated credential matches the GitHub token's iss/sub/aud. */
export class FederatedCredentialMismatchError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_NO_FEDERATED_CREDENTIAL', message, false, options);
    this.name = 'FederatedCredentialMismatchError';
  }
}

/** AADSTS700016: the client id names no application in the tenant. */
export class ApplicationNotFoundError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_APP_NOT_FOUND', message, false, options);
    this.name = 'ApplicationNotFoundError';
  }
}

/** AADSTS700024: the GitHub token was outside its validity window (clock skew); a fresh mint can succeed. */
export class AssertionExpiredError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_ASSERTION_EXPIRED', message, true, options);
    this.name = 'AssertionExpiredError';
  }
}

/** AADSTS7000215 and other `invalid_client` answers: Entra does not accept this app's client credential. */
export class ClientCredentialRejectedError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_INVALID_CLIENT', message, false, options);
    this.name = 'ClientCredentialRejectedError';
  }
}

/** `invalid_scope` / `invalid_resource` (AADSTS70011, AADSTS1002012, AADSTS500011): the scope is wrong. */
export class InvalidScopeError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_INVALID_SCOPE', message, false, options);
    this.name = 'InvalidScopeError';
  }
}

/** AADSTS90002/900023: the tenant does not exist at this authority (wrong id or wrong cloud). */
export class TenantNotFoundError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_TENANT_NOT_FOUND', message, false, options);
    this.name = 'TenantNotFoundError';
  }
}

/** The authority could not be reached: DNS, connection, proxy or TLS failure. */
export class EntraUnreachableError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_UNREACHABLE', message, true, options);
    this.name = 'EntraUnreachableError';
  }
}

/** Entra answered 5xx or 429: transient. */
export class EntraServerError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_SERVER_ERROR', message, true, options);
    this.name = 'EntraServerError';
  }
}

/** Entra (or something posing as it) answered with no usable token or expiry, or with a body that is not JSON. */
export class EntraBadResponseError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_BAD_RESPONSE', message, true, options);
    this.name = 'EntraBadResponseError';
  }
}

/** Entra (or something in between) answered a redirect: never followed, it would carry the GitHub token elsewhere. */
export class EntraRedirectRefusedError extends EntraError {
  constructor(message: string, options: EntraErrorOptions) {
    super('KEYLESS_ERR_AZURE_REDIRECT_REFUSED', message, false, options);
    this.name = 'EntraRedirectRefusedError';
  }
}

/** Any other Entra refusal; retryable unless Entra answered 4xx. */
export class EntraRejectedError extends EntraError {
  constructor(message: string, options: EntraErrorOptions & { readonly retryable: boolean }) {
    super('KEYLESS_ERR_AZURE_EXCHANGE_FAILED', message, options.retryable, options);
    this.name = 'EntraRejectedError';
  }
}
