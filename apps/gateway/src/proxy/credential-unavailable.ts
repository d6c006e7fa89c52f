import { CredentialUnavailableError, type Redactor } from '@keyless/auth-core';

/** Retry-After when the error does not say (it always does for the core's own). */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** The redacted message and Retry-After of a 503 `credential_unavailable`. */
export function credentialUnavailable(
  route: string,
  error: unknown,
  redactor: Pick<Redactor, 'describe'>,
): { message: string; headers: { 'retry-after': string } } {
  const retryAfter =
    error instanceof CredentialUnavailableError
      ? error.retryAfterSeconds
      : DEFAULT_RETRY_AFTER_SECONDS;
  return {
    message: `no usable credential for route ${route}: ${redactor.describe(error)}`,
    headers: { 'retry-after': String(retryAfter) },
  };
}
