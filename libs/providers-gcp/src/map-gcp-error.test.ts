import { ExchangeError, KeylessError, REDACTED, Redactor } from '@keyless/auth-core';
import { gaxios } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import {
  GcpAbortedError,
  GcpApiDisabledError,
  GcpAttributeConditionError,
  GcpAudienceMismatchError,
  GcpExchangeFailedError,
  GcpImpersonationDeniedError,
  GcpInvalidGrantError,
  GcpProviderNotFoundError,
  GcpRedirectRefusedError,
  GcpRejectedError,
  GcpServiceAccountNotFoundError,
  GcpUnavailableError,
  GcpUnreachableError,
  type GcpExchangeError,
} from './errors.ts';
import { mapGcpError } from './map-gcp-error.ts';
import { GCP_IAM_HOP, GCP_STS_HOP, type GcpHop } from './gcp-hops.ts';
import { parseGcpConfig } from './gcp-config.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';
const config = parseGcpConfig({
  AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE,
  AWF_AUTH_GCP_SERVICE_ACCOUNT: SA,
});
const STS_URL = new URL('https://sts.googleapis.com/v1/token');
const SUBJECT_TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJlLW9mLXRoZS1naXRodWItdG9rZW4';
const redactor = new Redactor();
redactor.register(SUBJECT_TOKEN);
const remoteText = (value: unknown, maxChars?: number) => redactor.remoteText(value, maxChars);
const IAM_URL = new URL(config.impersonationUrl ?? '');

/** A gaxios error for an HTTP answer, as gaxios builds it (body already read). */
function httpError(url: URL, status: number, data: unknown): gaxios.GaxiosError {
  const options = {
    url,
    method: 'POST',
    responseType: 'json',
    headers: new Headers(),
  } as gaxios.GaxiosOptionsPrepared;
  const response = {
    status,
    statusText: '',
    ok: false,
    bodyUsed: true,
    data,
    config: options,
    headers: new Headers(),
  };
  return new gaxios.GaxiosError(
    `Request failed with status code ${status}`,
    options,
    response as never,
  );
}

/** What StsCredentials throws: the gaxios error's fields copied onto a plain Error. */
function stsError(status: number, data: { error: string; error_description?: string }): Error {
  const original = httpError(STS_URL, status, data);
  const converted = new Error(`Error code ${data.error}: ${data.error_description ?? ''}`);
  for (const key of Object.keys(original)) {
    if (key !== 'message')
      Object.defineProperty(converted, key, {
        value: original[key as keyof typeof original],
        enumerable: true,
      });
  }
  return converted;
}

function googleError(status: number, apiStatus: string, message: string, details: unknown[] = []) {
  return httpError(IAM_URL, status, {
    error: { code: status, message, status: apiStatus, details },
  });
}

function networkError(url: URL, code: string): gaxios.GaxiosError {
  const options = { url, method: 'POST', headers: new Headers() } as gaxios.GaxiosOptionsPrepared;
  const cause = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code }),
  });
  return new gaxios.GaxiosError('fetch failed', options, undefined, cause);
}

interface Case {
  readonly name: string;
  readonly hop: GcpHop;
  readonly error: () => unknown;
  readonly type: new (...args: never[]) => GcpExchangeError;
  readonly code: string;
  readonly retryable: boolean;
  /** Text the message or fix must carry. */
  readonly mentions: readonly string[];
}

const cases: Case[] = [
  {
    name: 'STS invalid_grant about the audience',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'invalid_grant',
        error_description:
          'The audience in ID Token [https://github.com/octo-org] does not match the expected audience https://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider.',
      }),
    type: GcpAudienceMismatchError,
    code: 'KEYLESS_ERR_GCP_AUDIENCE_MISMATCH',
    retryable: false,
    mentions: [
      'does not match the expected audience',
      'AWF_AUTH_OIDC_AUDIENCE (engine.auth.audience)',
    ],
  },
  {
    name: 'STS attribute condition (invalid_grant)',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'invalid_grant',
        error_description: 'The given credential is rejected by the attribute condition.',
      }),
    type: GcpAttributeConditionError,
    code: 'KEYLESS_ERR_GCP_ATTRIBUTE_CONDITION',
    retryable: false,
    mentions: ['rejected by the attribute condition', 'attribute condition accept'],
  },
  {
    name: 'STS attribute condition (unauthorized_client, as Google sends it today)',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'unauthorized_client',
        error_description: 'The given credential is rejected by the attribute condition.',
      }),
    type: GcpAttributeConditionError,
    code: 'KEYLESS_ERR_GCP_ATTRIBUTE_CONDITION',
    retryable: false,
    mentions: ['unauthorized_client'],
  },
  {
    name: 'STS invalid_target (pool or provider missing)',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'invalid_target',
        error_description:
          'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.',
      }),
    type: GcpProviderNotFoundError,
    code: 'KEYLESS_ERR_GCP_PROVIDER_NOT_FOUND',
    retryable: false,
    mentions: [
      RESOURCE,
      'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER (engine.auth.workload-identity-provider)',
    ],
  },
  {
    name: 'STS invalid_grant for an expired token',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'invalid_grant',
        error_description: 'ID Token issued at 1700000000 is stale to sign-in.',
      }),
    type: GcpInvalidGrantError,
    code: 'KEYLESS_ERR_GCP_INVALID_GRANT',
    retryable: true,
    mentions: ['stale to sign-in'],
  },
  {
    name: 'STS invalid_grant for a wrong issuer',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, {
        error: 'invalid_grant',
        error_description: 'The issuer in ID Token does not match the expected ISSUER.',
      }),
    type: GcpInvalidGrantError,
    code: 'KEYLESS_ERR_GCP_INVALID_GRANT',
    retryable: false,
    mentions: ['token.actions.githubusercontent.com'],
  },
  {
    name: 'STS invalid_request',
    hop: GCP_STS_HOP,
    error: () =>
      stsError(400, { error: 'invalid_request', error_description: 'Invalid value for "scope".' }),
    type: GcpRejectedError,
    code: 'KEYLESS_ERR_GCP_REJECTED',
    retryable: false,
    mentions: ['invalid_request: Invalid value for "scope".'],
  },
  {
    name: 'STS 503',
    hop: GCP_STS_HOP,
    error: () => stsError(503, { error: 'temporarily_unavailable' }),
    type: GcpUnavailableError,
    code: 'KEYLESS_ERR_GCP_UNAVAILABLE',
    retryable: true,
    mentions: ['HTTP 503'],
  },
  {
    name: 'STS 429',
    hop: GCP_STS_HOP,
    error: () => httpError(STS_URL, 429, 'Too Many Requests'),
    type: GcpUnavailableError,
    code: 'KEYLESS_ERR_GCP_UNAVAILABLE',
    retryable: true,
    mentions: ['Too Many Requests'],
  },
  {
    name: 'IAM PERMISSION_DENIED on impersonation',
    hop: GCP_IAM_HOP,
    error: () =>
      googleError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED' }],
      ),
    type: GcpImpersonationDeniedError,
    code: 'KEYLESS_ERR_GCP_IMPERSONATION_DENIED',
    retryable: false,
    mentions: [
      'roles/iam.workloadIdentityUser',
      SA,
      'principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool',
    ],
  },
  {
    name: 'IAM Credentials API disabled',
    hop: GCP_IAM_HOP,
    error: () =>
      googleError(
        403,
        'PERMISSION_DENIED',
        'IAM Service Account Credentials API has not been used in project 987654321 before or it is disabled.',
        [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED' }],
      ),
    type: GcpApiDisabledError,
    code: 'KEYLESS_ERR_GCP_API_DISABLED',
    retryable: false,
    mentions: ['gcloud services enable iamcredentials.googleapis.com --project 987654321'],
  },
  {
    name: 'IAM NOT_FOUND',
    hop: GCP_IAM_HOP,
    error: () => googleError(404, 'NOT_FOUND', `Not found; Gaia id not found for email ${SA}`),
    type: GcpServiceAccountNotFoundError,
    code: 'KEYLESS_ERR_GCP_SERVICE_ACCOUNT_NOT_FOUND',
    retryable: false,
    mentions: ['AWF_AUTH_GCP_SERVICE_ACCOUNT (engine.auth.service-account)'],
  },
  {
    name: 'IAM INVALID_ARGUMENT (lifetime)',
    hop: GCP_IAM_HOP,
    error: () => googleError(400, 'INVALID_ARGUMENT', 'The lifetime must be between 1s and 3600s.'),
    type: GcpRejectedError,
    code: 'KEYLESS_ERR_GCP_REJECTED',
    retryable: false,
    mentions: ['AWF_AUTH_GCP_TOKEN_LIFETIME', 'INVALID_ARGUMENT: The lifetime must be between'],
  },
  {
    name: 'IAM 500',
    hop: GCP_IAM_HOP,
    error: () => googleError(500, 'INTERNAL', 'Internal error encountered.'),
    type: GcpUnavailableError,
    code: 'KEYLESS_ERR_GCP_UNAVAILABLE',
    retryable: true,
    mentions: ['IAM Credentials is unavailable (HTTP 500)'],
  },
  {
    name: 'connection refused',
    hop: GCP_STS_HOP,
    error: () => networkError(STS_URL, 'ECONNREFUSED'),
    type: GcpUnreachableError,
    code: 'KEYLESS_ERR_GCP_UNREACHABLE',
    retryable: true,
    mentions: ['https://sts.googleapis.com', 'ECONNREFUSED', 'HTTPS_PROXY'],
  },
  {
    name: 'DNS failure on the IAM hop',
    hop: GCP_IAM_HOP,
    error: () => networkError(IAM_URL, 'ENOTFOUND'),
    type: GcpUnreachableError,
    code: 'KEYLESS_ERR_GCP_UNREACHABLE',
    retryable: true,
    mentions: ['https://iamcredentials.googleapis.com', 'ENOTFOUND'],
  },
  {
    name: 'an unexpected error',
    hop: GCP_STS_HOP,
    error: () => new RangeError('URL is too long'),
    type: GcpExchangeFailedError,
    code: 'KEYLESS_ERR_GCP_EXCHANGE_FAILED',
    retryable: true,
    mentions: ['URL is too long'],
  },
];

describe('mapGcpError', () => {
  it.each(cases)('maps $name', ({ hop, error, type, code, retryable, mentions }) => {
    const input = error();
    const mapped = mapGcpError(input, { hop, config, remoteText });
    expect(mapped).toBeInstanceOf(type);
    expect(mapped).toBeInstanceOf(ExchangeError);
    const exchange = mapped as GcpExchangeError;
    expect(exchange.code).toBe(code);
    expect(exchange.hop).toBe(hop);
    expect(exchange.retryable).toBe(retryable);
    expect(exchange.status).toBe(503);
    expect(exchange.cause).toBe(input);
    expect(exchange.fix).toMatch(/^\S.*\S$/);
    expect(exchange.fix).not.toContain('\n');
    const text = `${exchange.message}\n${exchange.fix}`;
    for (const mention of mentions) expect(text).toContain(mention);
  });

  it("names the presented token's repository and sub in the fix, never the token", () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const assertion = `${part({ alg: 'RS256' })}.${part({
      sub: 'repo:octo/app:ref:refs/heads/main',
      repository: 'octo/app',
    })}.c2ln`;
    const denied = mapGcpError(
      googleError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied",
      ),
      { hop: GCP_IAM_HOP, config, assertion, remoteText },
    ) as GcpExchangeError;
    expect(denied.fix).toContain(
      `Grant roles/iam.workloadIdentityUser on ${SA} to principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool/attribute.repository/octo/app `,
    );
    expect(denied.fix).not.toContain('OWNER/REPO');
    const condition = mapGcpError(
      stsError(400, {
        error: 'unauthorized_client',
        error_description: 'The given credential is rejected by the attribute condition.',
      }),
      { hop: GCP_STS_HOP, config, assertion, remoteText },
    ) as GcpExchangeError;
    expect(condition.fix).toContain(
      'the token has repository octo/app, sub repo:octo/app:ref:refs/heads/main',
    );
    expect(denied.fix + denied.message + condition.fix + condition.message).not.toContain(
      assertion,
    );
  });

  it('keeps the STS status and reason for doctor and the 503 body', () => {
    const mapped = mapGcpError(
      stsError(400, { error: 'invalid_grant', error_description: 'audience mismatch' }),
      {
        hop: GCP_STS_HOP,
        config,
        remoteText,
      },
    ) as GcpExchangeError;
    expect(mapped.upstreamStatus).toBe(400);
    expect(mapped.reason).toBe('invalid_grant: audience mismatch');
  });

  it('passes KeylessErrors (e.g. from minting the GitHub token) through unchanged', () => {
    const minting = new ExchangeError('KEYLESS_ERR_OIDC', 'github-oidc', 'no id-token: write');
    expect(mapGcpError(minting, { hop: GCP_STS_HOP, config, remoteText })).toBe(minting);
    const keyless = new KeylessError('KEYLESS_ERR_X', 500, 'x');
    expect(mapGcpError(keyless, { hop: GCP_IAM_HOP, config, remoteText })).toBe(keyless);
  });

  it('reports a cancelled exchange as aborted, not as a network failure', () => {
    const mapped = mapGcpError(networkError(STS_URL, 'ECONNRESET'), {
      hop: GCP_STS_HOP,
      config,
      aborted: true,
      remoteText,
    });
    expect(mapped).toBeInstanceOf(GcpAbortedError);
    expect((mapped as GcpExchangeError).retryable).toBe(false);
  });

  it('bounds a huge remote body to one short line', () => {
    const mapped = mapGcpError(httpError(STS_URL, 502, `<html>\n${'x'.repeat(5000)}</html>`), {
      hop: GCP_STS_HOP,
      config,
      remoteText,
    }) as GcpExchangeError;
    expect(mapped.reason?.length).toBeLessThanOrEqual(300);
    expect(mapped.message).not.toContain('\n');
  });

  it('redacts an echoed subject token before cutting: no piece of it survives the bound', () => {
    const description = `${'x'.repeat(280)} ${SUBJECT_TOKEN}`;
    const mapped = mapGcpError(
      stsError(400, { error: 'invalid_grant', error_description: description }),
      {
        hop: GCP_STS_HOP,
        config,
        remoteText,
      },
    ) as GcpExchangeError;
    expect(mapped.reason?.length).toBeLessThanOrEqual(300);
    expect(mapped.message).not.toContain(SUBJECT_TOKEN.slice(0, 16));
    const unbounded = mapGcpError(
      stsError(400, { error: 'invalid_grant', error_description: `short ${SUBJECT_TOKEN}` }),
      {
        hop: GCP_STS_HOP,
        config,
        remoteText,
      },
    );
    expect(unbounded.message).toContain(`short ${REDACTED}`);
  });

  it("names a redirect instead of blaming STS for the other host's answer", () => {
    const error = httpError(STS_URL, 307, '<html>login</html>');
    error.response?.headers.set('location', 'http://portal.example:8080/login?next=/v1/token');
    const mapped = mapGcpError(error, { hop: GCP_STS_HOP, config, remoteText });
    expect(mapped).toBeInstanceOf(GcpRedirectRefusedError);
    expect(mapped.code).toBe('KEYLESS_ERR_GCP_REDIRECT_REFUSED');
    expect(mapped.message).toBe(
      'GCP STS at https://sts.googleapis.com answered HTTP 307, a redirect to http://portal.example:8080: refused, tokens are never sent to another host',
    );
    expect(mapped.fix).toContain('AWF_AUTH_GCP_TOKEN_URL');
  });
});
