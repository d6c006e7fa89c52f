import {
  AwsAccessDeniedError,
  AwsIdentityTokenExpiredError,
  AwsIdpCommunicationError,
  AwsInvalidIdentityTokenError,
  AwsStsError,
  AwsStsMalformedResponseError,
  AwsStsRejectedError,
  AwsStsThrottledError,
  AwsStsUnavailableError,
  AwsStsUnreachableError,
} from './errors.ts';
import type { AwsConfig } from './parse-aws-config.ts';

/** What the error messages and fixes may name (nothing secret). */
export type StsErrorContext = Pick<AwsConfig, 'roleArn' | 'audience' | 'region' | 'stsEndpoint'>;

/** The fields of an SDK (smithy) service exception or a Node network error that matter here. */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  /** XML `<Code>` as parsed by the SDK. */
  Code?: unknown;
  /** Node's errno code, e.g. ECONNREFUSED. */
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const GITHUB_ISSUER_HOST = 'token.actions.githubusercontent.com';
const THROTTLING_CODES = new Set([
  'Throttling',
  'TooManyRequests',
  'RequestLimitExceeded',
  'SlowDown',
]);
const MAX_DETAIL_LENGTH = 300;

/** The STS error code, with the SDK's `Exception` class-name suffix removed. */
function errorCode(error: SdkErrorShape): string {
  const raw =
    typeof error.Code === 'string' ? error.Code : typeof error.name === 'string' ? error.name : '';
  return raw.replace(/Exception$/, '');
}

function detail(error: SdkErrorShape, code: string): string {
  const message =
    typeof error.message === 'string'
      ? error.message.split('\n')[0]!.slice(0, MAX_DETAIL_LENGTH)
      : '';
  const errno = typeof error.code === 'string' ? error.code : '';
  return (
    [code && code !== 'Error' ? code : errno, message].filter(Boolean).join(': ') || 'unknown error'
  );
}

function stsHost(context: StsErrorContext): string {
  return context.stsEndpoint ?? `the regional STS endpoint of ${context.region}`;
}

/**
 * Turns whatever `fromWebToken` threw (an STS service exception, a
 * deserialization error, a Node network error) into a typed AwsStsError with
 * a one-line fix. The original error becomes `cause`.
 */
export function mapStsError(error: unknown, context: StsErrorContext): AwsStsError {
  if (error instanceof AwsStsError) return error;
  const shape: SdkErrorShape =
    typeof error === 'object' && error !== null ? error : { message: String(error) };
  const code = errorCode(shape);
  const status =
    typeof shape.$metadata?.httpStatusCode === 'number'
      ? shape.$metadata.httpStatusCode
      : undefined;
  const message = `STS AssumeRoleWithWebIdentity for ${context.roleArn} failed: ${detail(shape, code)}`;
  const options = (fix: string) => ({ fix, cause: error });

  switch (code) {
    case 'InvalidIdentityToken':
      return new AwsInvalidIdentityTokenError(
        message,
        options(
          `Register the IAM OIDC identity provider ${GITHUB_ISSUER_HOST} with audience ${context.audience} in the role's account (or set AWF_AUTH_OIDC_AUDIENCE to the audience it has)`,
        ),
      );
    case 'AccessDenied':
    case 'IDPRejectedClaim':
      return new AwsAccessDeniedError(
        message,
        options(
          `Let the trust policy of ${context.roleArn} allow sts:AssumeRoleWithWebIdentity for ${GITHUB_ISSUER_HOST} with condition ${GITHUB_ISSUER_HOST}:aud = ${context.audience} and a ${GITHUB_ISSUER_HOST}:sub pattern matching this job (keyless doctor prints the token's sub)`,
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
          `STS could not reach ${GITHUB_ISSUER_HOST} to verify the token; transient, retried automatically`,
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
