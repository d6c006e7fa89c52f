import { describe, expect, it } from 'vitest';
import { ExchangeError, REDACTED, Redactor } from '@keyless/auth-core';
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
  STS_HOP,
} from './errors.ts';
import { mapStsError } from './map-sts-error.ts';
import type { StsErrorContext } from './map-sts-error.ts';

const WEB_IDENTITY_TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6bWFpbiJ9.c2lnbmF0dXJlLW9mLXRoZS1naXRodWItdG9rZW4';
const redactor = new Redactor();
redactor.register(WEB_IDENTITY_TOKEN);
const remoteText = (value: unknown, maxChars?: number) => redactor.remoteText(value, maxChars);

const CONTEXT: StsErrorContext = {
  roleArn: 'arn:aws:iam::123456789012:role/gh-bedrock',
  audience: 'sts.amazonaws.com',
  region: 'us-east-1',
  stsEndpoint: undefined,
};

/**
 * An error shaped as the SDK throws it for an STS XML error answer (checked
 * against @aws-sdk/nested-clients 3.998): modelled errors get the class name
 * (`InvalidIdentityTokenException`), unmodelled ones the XML code as name.
 */
function serviceError(
  name: string,
  code: string,
  status: number,
  message = `${code} message`,
): Error {
  return Object.assign(new Error(message), {
    name,
    Code: code,
    Type: status >= 500 ? 'Receiver' : 'Sender',
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 },
  });
}

/** A Node network error as NodeHttpHandler rejects with it. */
function networkError(code: string, message: string, name = 'Error'): Error {
  return Object.assign(new Error(message), {
    name,
    code,
    $metadata: { attempts: 1, totalRetryDelay: 0 },
  });
}

describe('mapStsError', () => {
  it.each([
    [
      'InvalidIdentityToken',
      serviceError(
        'InvalidIdentityTokenException',
        'InvalidIdentityToken',
        400,
        'No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com',
      ),
      AwsInvalidIdentityTokenError,
      'KEYLESS_ERR_AWS_INVALID_IDENTITY_TOKEN',
      false,
      /Register the IAM OIDC identity provider token\.actions\.githubusercontent\.com with audience sts\.amazonaws\.com/,
    ],
    [
      'AccessDenied',
      serviceError(
        'AccessDenied',
        'AccessDenied',
        403,
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      ),
      AwsAccessDeniedError,
      'KEYLESS_ERR_AWS_ACCESS_DENIED',
      false,
      /trust policy of arn:aws:iam::123456789012:role\/gh-bedrock .*:aud = sts\.amazonaws\.com .*:sub/,
    ],
    [
      'IDPRejectedClaim',
      serviceError('IDPRejectedClaimException', 'IDPRejectedClaim', 403),
      AwsAccessDeniedError,
      'KEYLESS_ERR_AWS_ACCESS_DENIED',
      false,
      /trust policy/,
    ],
    [
      'ExpiredTokenException',
      serviceError(
        'ExpiredTokenException',
        'ExpiredTokenException',
        400,
        'Token expired: current date/time 1718886896 must be before the expiration date/time 1718886800',
      ),
      AwsIdentityTokenExpiredError,
      'KEYLESS_ERR_AWS_IDENTITY_TOKEN_EXPIRED',
      true,
      /runner clock/,
    ],
    [
      'IDPCommunicationError',
      serviceError('IDPCommunicationErrorException', 'IDPCommunicationError', 400),
      AwsIdpCommunicationError,
      'KEYLESS_ERR_AWS_IDP_COMMUNICATION',
      true,
      /transient/,
    ],
    [
      'Throttling',
      serviceError('Throttling', 'Throttling', 400, 'Rate exceeded'),
      AwsStsThrottledError,
      'KEYLESS_ERR_AWS_STS_THROTTLED',
      true,
      /throttling/,
    ],
    [
      'HTTP 429',
      serviceError('Unknown', 'Unknown', 429),
      AwsStsThrottledError,
      'KEYLESS_ERR_AWS_STS_THROTTLED',
      true,
      /throttling/,
    ],
    [
      'HTTP 503',
      serviceError('Unknown', 'Unknown', 503),
      AwsStsUnavailableError,
      'KEYLESS_ERR_AWS_STS_UNAVAILABLE',
      true,
      /HTTP 503/,
    ],
    [
      'connection refused',
      networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      AwsStsUnreachableError,
      'KEYLESS_ERR_AWS_STS_UNREACHABLE',
      true,
      /HTTPS_PROXY\/NO_PROXY and AWS_ENDPOINT_URL_STS/,
    ],
    [
      'DNS',
      networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND sts.us-east-1.amazonaws.com'),
      AwsStsUnreachableError,
      'KEYLESS_ERR_AWS_STS_UNREACHABLE',
      true,
      /Cannot reach/,
    ],
    [
      'timeout',
      networkError(
        'ETIMEDOUT',
        'a request has exceeded the configured 30000 ms requestTimeout',
        'TimeoutError',
      ),
      AwsStsUnreachableError,
      'KEYLESS_ERR_AWS_STS_UNREACHABLE',
      true,
      /Cannot reach/,
    ],
    [
      'abort',
      Object.assign(new Error('Request aborted'), { name: 'AbortError' }),
      AwsStsUnreachableError,
      'KEYLESS_ERR_AWS_STS_UNREACHABLE',
      true,
      /cancelled by shutdown/,
    ],
    [
      'unparseable 200',
      Object.assign(
        new Error(
          '@aws-sdk XML parse error: unexpected end of input.\n  Deserialization error: ...',
        ),
        { $metadata: { httpStatusCode: 200 } },
      ),
      AwsStsMalformedResponseError,
      'KEYLESS_ERR_AWS_STS_MALFORMED',
      true,
      /is an STS endpoint/,
    ],
    [
      '200 without Credentials',
      new Error(
        'Invalid response from STS.assumeRoleWithWebIdentity call with role arn:aws:iam::123456789012:role/gh-bedrock',
      ),
      AwsStsMalformedResponseError,
      'KEYLESS_ERR_AWS_STS_MALFORMED',
      true,
      /is an STS endpoint/,
    ],
    [
      'ValidationError',
      serviceError(
        'ValidationError',
        'ValidationError',
        400,
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      ),
      AwsStsRejectedError,
      'KEYLESS_ERR_AWS_STS_REJECTED',
      false,
      /AWF_AUTH_AWS_SESSION_DURATION/,
    ],
    [
      'RegionDisabled',
      serviceError('RegionDisabledException', 'RegionDisabledException', 403),
      AwsStsRejectedError,
      'KEYLESS_ERR_AWS_STS_REJECTED',
      false,
      /Activate STS for region us-east-1/,
    ],
  ] as const)('%s', (_name, error, type, code, retryable, fix) => {
    const mapped = mapStsError(error, CONTEXT, remoteText);
    expect(mapped).toBeInstanceOf(type);
    expect(mapped).toBeInstanceOf(ExchangeError);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.hop).toBe(STS_HOP);
    expect(mapped.status).toBe(503);
    expect(mapped.cause).toBe(error);
    expect(mapped.fix).toMatch(fix);
    expect(mapped.fix).not.toContain('\n');
    expect(mapped.message).toContain(CONTEXT.roleArn);
    expect(mapped.message).not.toContain('\n');
  });

  it('keeps the STS code and message in the error message', () => {
    const mapped = mapStsError(
      serviceError(
        'InvalidIdentityTokenException',
        'InvalidIdentityToken',
        400,
        'Incorrect token audience',
      ),
      CONTEXT,
      remoteText,
    );
    expect(mapped.message).toBe(
      'STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/gh-bedrock failed: InvalidIdentityToken: Incorrect token audience',
    );
  });

  it('names the configured endpoint and audience in fixes', () => {
    const context = {
      ...CONTEXT,
      stsEndpoint: 'https://sts.internal.example',
      audience: 'custom-aud',
    };
    expect(
      mapStsError(networkError('ECONNRESET', 'socket hang up'), context, remoteText).fix,
    ).toContain('https://sts.internal.example');
    expect(
      mapStsError(
        serviceError('InvalidIdentityTokenException', 'InvalidIdentityToken', 400),
        context,
        remoteText,
      ).fix,
    ).toContain('with audience custom-aud');
  });

  it("builds the OIDC provider and the trust-policy conditions from the presented token's iss, sub and aud", () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const assertion = `${part({ alg: 'RS256' })}.${part({
      iss: 'https://ghe.example.com/_services/token',
      sub: 'repo:octo/app:environment:prod',
      aud: 'sts.amazonaws.com',
    })}.c2ln`;
    const context = { ...CONTEXT, assertion };
    const invalid = mapStsError(
      serviceError(
        'InvalidIdentityTokenException',
        'InvalidIdentityToken',
        400,
        'No OpenIDConnect provider found in your account for https://ghe.example.com/_services/token',
      ),
      context,
      remoteText,
    );
    expect(invalid.fix).toContain(
      'Register the IAM OIDC identity provider ghe.example.com/_services/token with audience sts.amazonaws.com',
    );
    expect(invalid.fix).not.toContain('token.actions.githubusercontent.com');
    const denied = mapStsError(
      serviceError('AccessDenied', 'AccessDenied', 403),
      context,
      remoteText,
    );
    expect(denied.fix).toBe(
      'Let the trust policy of arn:aws:iam::123456789012:role/gh-bedrock allow sts:AssumeRoleWithWebIdentity for ghe.example.com/_services/token with condition ghe.example.com/_services/token:aud = sts.amazonaws.com and ghe.example.com/_services/token:sub matching repo:octo/app:environment:prod',
    );
    // Claims only: the token itself is never part of a fix or message.
    expect(denied.fix + denied.message).not.toContain(assertion);
  });

  it('returns an already typed error unchanged and wraps non-errors', () => {
    const typed = mapStsError(
      serviceError('AccessDenied', 'AccessDenied', 403),
      CONTEXT,
      remoteText,
    );
    expect(mapStsError(typed, CONTEXT, remoteText)).toBe(typed);
    const odd = mapStsError('boom', CONTEXT, remoteText);
    expect(odd).toBeInstanceOf(AwsStsError);
    expect(odd.message).toContain('boom');
  });

  it('reports a connection reset as a reset, not as the timeout NodeHttpHandler names it', () => {
    const mapped = mapStsError(
      networkError('ECONNRESET', 'socket hang up', 'TimeoutError'),
      CONTEXT,
      remoteText,
    );
    expect(mapped).toBeInstanceOf(AwsStsUnreachableError);
    expect(mapped.message).toContain('connection reset by STS or a proxy in between (ECONNRESET)');
    expect(mapped.message).not.toMatch(/timeout/i);
  });

  it('names a redirect instead of blaming STS for it, with only the target origin', () => {
    const error = Object.assign(
      serviceError('UnknownError', 'UnknownError', 307, '<html>moved</html>'),
      {
        $response: { headers: { location: 'http://portal.example:8080/login?token=x' } },
      },
    );
    const mapped = mapStsError(error, CONTEXT, remoteText);
    expect(mapped).toBeInstanceOf(AwsStsRedirectRefusedError);
    expect(mapped.retryable).toBe(false);
    expect(mapped.message).toBe(
      'STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/gh-bedrock failed: the regional STS endpoint of us-east-1 answered HTTP 307, a redirect to http://portal.example:8080: refused, the GitHub token is never sent to another host',
    );
    expect(mapped.fix).toContain('AWS_ENDPOINT_URL_STS');
  });

  it('redacts an echoed token before bounding the message: no piece of it survives', () => {
    const echo = `${'x'.repeat(280)} ${WEB_IDENTITY_TOKEN}\nsecond line ${encodeURIComponent(WEB_IDENTITY_TOKEN.replaceAll('.', '%2E'))}`;
    const mapped = mapStsError(
      serviceError('InvalidIdentityTokenException', 'InvalidIdentityToken', 400, echo),
      CONTEXT,
      remoteText,
    );
    expect(mapped.message).not.toContain('\n');
    for (let i = 0; i + 16 <= WEB_IDENTITY_TOKEN.length; i += 1) {
      expect(mapped.message).not.toContain(WEB_IDENTITY_TOKEN.slice(i, i + 16));
    }
    const short = mapStsError(
      serviceError('AccessDeniedException', 'AccessDenied', 403, `bad ${WEB_IDENTITY_TOKEN}`),
      CONTEXT,
      remoteText,
    );
    expect(short.message).toContain(`AccessDenied: bad ${REDACTED}`);
  });
});
