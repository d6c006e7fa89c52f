import {
  AwsAccessDeniedError,
  AwsIdentityTokenExpiredError,
  AwsIdpCommunicationError,
  AwsInvalidIdentityTokenError,
  AwsStsError,
  AwsStsMalformedResponseError,
  AwsStsRedirectRefusedError,
  AwsStsRejectedError,
  AwsStsThrottledError,
  AwsStsUnavailableError,
  AwsStsUnreachableError,
} from './errors.ts';
import { presentedClaims } from '@keyless/auth-core';
import type { AwsConfig } from './aws-config.ts';

/** What the error messages and fixes may name (nothing secret). */
export type StsErrorContext = Pick<AwsConfig, 'roleArn' | 'audience' | 'region' | 'stsEndpoint'> & {
  /** The GitHub token that was presented; only its iss/sub/aud claims are read, for the fix. */
  readonly assertion?: string;
};

/** Remote text made safe for an error message: redacted, then one bounded line (`AcquireContext.remoteText`). */
export type RemoteText = (value: unknown, maxChars?: number) => string;

/** The fields of an SDK (smithy) service exception or a Node network error that matter here. */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  /** XML `<Code>` as parsed by the SDK. */
  Code?: unknown;
  /** Node's errno code, e.g. ECONNREFUSED. */
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  /** The raw answer, which the SDK's deserializer attaches to its errors. */
  $response?: { headers?: Record<string, unknown> };
}

/**
 * Errno codes NodeHttpHandler renames to `TimeoutError` (for its retry logic):
 * the connection was reset or broken, nothing timed out.
 */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** GitHub's issuer as IAM names an OIDC provider (no scheme), when the token does not say. */
const GITHUB_ISSUER_HOST = 'token.actions.githubusercontent.com';
const THROTTLING_CODES = new Set([
  'Throttling',
  'TooManyRequests',
  'RequestLimitExceeded',
  'SlowDown',
]);
/** The STS error code, with the SDK's `Exception` class-name suffix removed. */
function errorCode(error: SdkErrorShape): string {
  const raw =
    typeof error.Code === 'string' ? error.Code : typeof error.name === 'string' ? error.name : '';
  return raw.replace(/Exception$/, '');
}

/** `Code: message` (the message redacted, then one bounded line), or the errno for a network error. */
function detail(error: SdkErrorShape, code: string, remoteText: RemoteText): string {
  const message = typeof error.message === 'string' ? remoteText(error.message) : '';
  const errno = typeof error.code === 'string' ? error.code : '';
  if (RESET_CODES.has(errno)) return `connection reset by STS or a proxy in between (${errno})`;
  return (
    [code && code !== 'Error' ? code : errno, message].filter(Boolean).join(': ') || 'unknown error'
  );
}

/** The origin a 3xx answer points to (never its path or query). */
function redirectOrigin(error: SdkErrorShape, remoteText: RemoteText): string | undefined {
  const location = error.$response?.headers?.['location'];
  if (typeof location !== 'string' || !location) return undefined;
  try {
    return remoteText(new URL(location).origin);
  } catch {
    return 'an unparsable location';
  }
}

/**
 * What the fixes name, from the presented token: IAM's name of the OIDC provider
 * (the issuer without scheme, e.g. `HOST/_services/token` on GHES; also the
 * prefix of the trust policy's condition keys), the audience and the subject.
 */
function federation(context: StsErrorContext): { provider: string; aud: string; sub?: string } {
  const claims = presentedClaims(context.assertion);
  const provider = claims.iss?.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return {
    provider: provider || GITHUB_ISSUER_HOST,
    aud: claims.aud ?? context.audience,
    ...(claims.sub === undefined ? {} : { sub: claims.sub }),
  };
}

function stsHost(context: StsErrorContext): string {
  return context.stsEndpoint ?? `the regional STS endpoint of ${context.region}`;
}

/**
 * Turns whatever `fromWebToken` threw (an STS service exception, a
 * deserialization error, a Node network error) into a typed AwsStsError with
 * a one-line fix. The original error becomes `cause`.
 */
export function mapStsError(
  error: unknown,
  context: StsErrorContext,
  remoteText: RemoteText,
): AwsStsError {
  if (error instanceof AwsStsError) return error;
  const shape: SdkErrorShape =
    typeof error === 'object' && error !== null ? error : { message: String(error) };
  const code = errorCode(shape);
  const status =
    typeof shape.$metadata?.httpStatusCode === 'number'
      ? shape.$metadata.httpStatusCode
      : undefined;
  const options = (fix: string) => ({ fix, cause: error });
  if (status !== undefined && status >= 300 && status < 400) {
    // The other host's answer is not STS's: only the redirect itself is reported.
    const target = redirectOrigin(shape, remoteText);
    return new AwsStsRedirectRefusedError(
      `STS AssumeRoleWithWebIdentity for ${context.roleArn} failed: ${stsHost(context)} answered HTTP ${status}, a redirect${target ? ` to ${target}` : ''}: refused, the GitHub token is never sent to another host`,
      options(
        'Set AWS_ENDPOINT_URL_STS to the final STS endpoint, or remove the proxy or portal in between that redirects',
      ),
    );
  }
  const message = `STS AssumeRoleWithWebIdentity for ${context.roleArn} failed: ${detail(shape, code, remoteText)}`;

  const { provider, aud, sub } = federation(context);
  switch (code) {
    case 'InvalidIdentityToken':
      return new AwsInvalidIdentityTokenError(
        message,
        options(
          `Register the IAM OIDC identity provider ${provider} with audience ${aud} in the role's account (or set AWF_AUTH_OIDC_AUDIENCE to the audience it has)`,
        ),
      );
    case 'AccessDenied':
    case 'IDPRejectedClaim':
      return new AwsAccessDeniedError(
        message,
        options(
          `Let the trust policy of ${context.roleArn} allow sts:AssumeRoleWithWebIdentity for ${provider} with condition ${provider}:aud = ${aud} and ` +
            (sub === undefined
              ? `a ${provider}:sub pattern matching this job (keyless doctor prints the token's sub)`
              : `${provider}:sub matching ${sub}`),
        ),
      );
    case 'ExpiredToken':
      return new AwsIdentityTokenExpiredError(
        message,
        options(
          'The GitHub OIDC token had expired when STS checked it: check the runner clock; every retry mints a fresh token',
        ),
      );
    case 'IDPCommunicationError':
      return new AwsIdpCommunicationError(
        message,
        options(
          `STS could not reach ${provider} to verify the token; transient, retried automatically`,
        ),
      );
  }
  if (THROTTLING_CODES.has(code) || status === 429) {
    return new AwsStsThrottledError(
      message,
      options(
        'STS is throttling AssumeRoleWithWebIdentity; retried with backoff (share one gateway per job, or raise AWF_AUTH_AWS_SESSION_DURATION)',
      ),
    );
  }
  // A 2xx the SDK could not parse, or one it rejected itself for lacking Credentials.
  const invalidAnswer =
    typeof shape.message === 'string' && shape.message.startsWith('Invalid response from STS');
  if (invalidAnswer || (status !== undefined && status < 300)) {
    return new AwsStsMalformedResponseError(
      message,
      options(
        `STS answered without usable credentials: check that ${stsHost(context)} is an STS endpoint`,
      ),
    );
  }
  if (shape.name === 'AbortError') {
    return new AwsStsUnreachableError(
      message,
      options('The STS call was cancelled by shutdown; nothing to fix'),
    );
  }
  if (status === undefined) {
    return new AwsStsUnreachableError(
      message,
      options(
        `Cannot reach ${stsHost(context)}: check network egress, HTTPS_PROXY/NO_PROXY and AWS_ENDPOINT_URL_STS`,
      ),
    );
  }
  if (status >= 500) {
    return new AwsStsUnavailableError(
      message,
      options(
        `STS answered HTTP ${status}; transient, retried automatically (check ${stsHost(context)} if it persists)`,
      ),
    );
  }
  if (code === 'RegionDisabled') {
    return new AwsStsRejectedError(
      message,
      options(
        `Activate STS for region ${context.region} in the IAM account settings, or set AWS_ENDPOINT_URL_STS to an active region`,
      ),
    );
  }
  return new AwsStsRejectedError(
    message,
    options(
      "Check AWF_AUTH_AWS_SESSION_DURATION (at most the role's MaxSessionDuration), AWF_AUTH_AWS_ROLE_SESSION_NAME and AWF_AUTH_AWS_ROLE_ARN",
    ),
  );
}
