import { ExchangeError } from '@keyless/auth-core';

/** Hop name of the STS AssumeRoleWithWebIdentity call (metrics, logs, `keyless doctor`). */
export const STS_HOP = 'aws-sts';

/** Options of every AWS exchange error: the fix is required, the cause always set when there is one. */
export interface AwsErrorOptions {
  /** One line telling the operator what to change. */
  fix: string;
  cause?: unknown;
}

/** Base of the typed STS failures; `hop` is always {@link STS_HOP}. */
export class AwsStsError extends ExchangeError {
  constructor(code: string, message: string, options: AwsErrorOptions & { retryable: boolean }) {
    super(code, STS_HOP, message, options);
    this.name = 'AwsStsError';
  }
}

/** STS does not trust the token: no IAM OIDC provider for GitHub, or a wrong audience. Not retryable. */
export class AwsInvalidIdentityTokenError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_INVALID_IDENTITY_TOKEN', message, { ...options, retryable: false });
    this.name = 'AwsInvalidIdentityTokenError';
  }
}

/** The role's trust policy does not match the token's `sub`/`aud` (AccessDenied, IDPRejectedClaim). Not retryable. */
export class AwsAccessDeniedError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_ACCESS_DENIED', message, { ...options, retryable: false });
    this.name = 'AwsAccessDeniedError';
  }
}

/** The GitHub token had expired when STS checked it (ExpiredTokenException); a fresh one may pass. */
export class AwsIdentityTokenExpiredError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_IDENTITY_TOKEN_EXPIRED', message, { ...options, retryable: true });
    this.name = 'AwsIdentityTokenExpiredError';
  }
}

/** STS could not reach GitHub's issuer to verify the token (IDPCommunicationError). Transient. */
export class AwsIdpCommunicationError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_IDP_COMMUNICATION', message, { ...options, retryable: true });
    this.name = 'AwsIdpCommunicationError';
  }
}

/** STS throttled the call (Throttling, 429). Transient. */
export class AwsStsThrottledError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_THROTTLED', message, { ...options, retryable: true });
    this.name = 'AwsStsThrottledError';
  }
}

/** No answer from STS: connection refused, DNS, TLS, proxy, timeout or abort. Transient. */
export class AwsStsUnreachableError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_UNREACHABLE', message, { ...options, retryable: true });
    this.name = 'AwsStsUnreachableError';
  }
}

/** STS answered a redirect: never followed (it would carry the GitHub token to another host). Not retryable. */
export class AwsStsRedirectRefusedError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_REDIRECT_REFUSED', message, { ...options, retryable: false });
    this.name = 'AwsStsRedirectRefusedError';
  }
}

/** STS answered 5xx. Transient. */
export class AwsStsUnavailableError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_UNAVAILABLE', message, { ...options, retryable: true });
    this.name = 'AwsStsUnavailableError';
  }
}

/** STS answered 2xx without usable credentials (unparseable XML, missing fields). Possibly transient. */
export class AwsStsMalformedResponseError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_MALFORMED', message, { ...options, retryable: true });
    this.name = 'AwsStsMalformedResponseError';
  }
}

/** STS refused the request for another reason (ValidationError, RegionDisabled, ...). Not retryable. */
export class AwsStsRejectedError extends AwsStsError {
  constructor(message: string, options: AwsErrorOptions) {
    super('KEYLESS_ERR_AWS_STS_REJECTED', message, { ...options, retryable: false });
    this.name = 'AwsStsRejectedError';
  }
}
