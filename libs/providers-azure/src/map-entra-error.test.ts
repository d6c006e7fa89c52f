import { Redactor } from '@keyless/auth-core';
import {
  AuthenticationError,
  AuthenticationRequiredError,
  CredentialUnavailableError,
} from '@azure/identity';
import { ExchangeError } from '@keyless/auth-core';
import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseAzureConfig } from './azure-config.ts';
import {
  ApplicationNotFoundError,
  AssertionExpiredError,
  ClientCredentialRejectedError,
  EntraBadResponseError,
  EntraError,
  EntraRejectedError,
  EntraServerError,
  EntraUnreachableError,
  FederatedCredentialMismatchError,
  InvalidScopeError,
  TenantNotFoundError,
} from './errors.ts';
import { describeEntraFailure, mapEntraError } from './map-entra-error.ts';
import type { WireRecord } from './wire-policy.ts';

const remoteText = (value: unknown, maxChars?: number) =>
  new Redactor().remoteText(value, maxChars);

const CLIENT = '11111111-2222-3333-4444-555555555555';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const config = parseAzureConfig({
  AWF_AUTH_AZURE_TENANT_ID: TENANT,
  AWF_AUTH_AZURE_CLIENT_ID: CLIENT,
});
const SUBJECT = 'repo:octo-org/octo-repo:environment:prod';
const assertion = new UnsecuredJWT({})
  .setIssuer('https://token.actions.githubusercontent.com')
  .setSubject(SUBJECT)
  .setAudience('api://AzureADTokenExchange')
  .encode();

/**
 * What @azure/identity 4.14 + msal-node 7.2 throw for an Entra error answer: an MSAL ServerError
 * (errorCode, errorNo, status) wrapped in AuthenticationRequiredError by the credential.
 */
function msalServerError(
  status: number,
  errorCode: string,
  aadsts: string | undefined,
  description: string,
) {
  const detail =
    `${errorCode}: Error(s): ${aadsts ?? 'Not Available'} - Timestamp: Not Available - Description: ${description}` +
    ' - Correlation ID: Not Available - Trace ID: Not Available';
  const serverError = Object.assign(new Error(detail), {
    name: 'ServerError',
    errorCode,
    errorMessage: detail.slice(errorCode.length + 2),
    subError: '',
    errorNo: aadsts,
    status,
  });
  return new AuthenticationRequiredError({
    scopes: [config.scope],
    message: detail,
    cause: serverError,
  });
}

/** What MSAL throws when the metadata fetch fails, whatever the reason: no detail at all. */
const endpointsError = () =>
  new CredentialUnavailableError(
    'endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error for details',
  );

/** What MSAL throws when the token POST fails in transport or cannot be parsed. */
const networkError = () =>
  new AuthenticationRequiredError({
    scopes: [config.scope],
    message: 'network_error: See https://aka.ms/msal.js.errors#network_error for details',
    cause: Object.assign(new Error('network_error'), {
      name: 'ClientAuthError',
      errorCode: 'network_error',
    }),
  });

const restError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { name: 'RestError', code });

describe('mapEntraError', () => {
  it.each([
    ['70021', 'No matching federated identity record found for presented assertion.'],
    [
      '700213',
      `No matching federated identity record found for presented assertion subject '${SUBJECT}'.`,
    ],
    [
      '700212',
      "No matching federated identity record found for presented assertion audience 'api://x'.",
    ],
    ['70025', 'Client application has no configured federated identity credentials.'],
  ])(
    'AADSTS%s: no federated credential matches, with the fix naming issuer, subject, audience and app',
    (code, text) => {
      const sdk = msalServerError(
        401,
        'invalid_client',
        code,
        `AADSTS${code}: ${text}\r\nTrace ID: t\r\nCorrelation ID: c`,
      );
      const error = mapEntraError(sdk, { remoteText, config, assertion });
      expect(error).toBeInstanceOf(FederatedCredentialMismatchError);
      expect(error).toBeInstanceOf(ExchangeError);
      expect(error).toMatchObject({
        code: 'KEYLESS_ERR_AZURE_NO_FEDERATED_CREDENTIAL',
        hop: 'entra-token',
        status: 503,
        retryable: false,
        aadsts: `AADSTS${code}`,
        oauthError: 'invalid_client',
        entraStatus: 401,
      });
      expect(error.cause).toBe(sdk);
      expect(error.message).toBe(
        `Entra refused the token for app ${CLIENT} in tenant ${TENANT}: AADSTS${code}: ${text}`,
      );
      expect(error.fix).toBe(
        `no federated credential matches: register issuer https://token.actions.githubusercontent.com, subject ${SUBJECT}, ` +
          `audience api://AzureADTokenExchange on app ${CLIENT} (tenant ${TENANT})`,
      );
    },
  );

  it.each([
    [
      '700016',
      'invalid_client',
      ApplicationNotFoundError,
      'KEYLESS_ERR_AZURE_APP_NOT_FOUND',
      false,
      'AWF_AUTH_AZURE_CLIENT_ID (engine.auth.azure-client-id)',
    ],
    [
      '700024',
      'invalid_client',
      AssertionExpiredError,
      'KEYLESS_ERR_AZURE_ASSERTION_EXPIRED',
      true,
      'clock',
    ],
    [
      '7000215',
      'invalid_client',
      ClientCredentialRejectedError,
      'KEYLESS_ERR_AZURE_INVALID_CLIENT',
      false,
      `subject ${SUBJECT}`,
    ],
    [
      '1002012',
      'invalid_scope',
      InvalidScopeError,
      'KEYLESS_ERR_AZURE_INVALID_SCOPE',
      false,
      'AWF_AUTH_AZURE_SCOPE (engine.auth.azure-scope)',
    ],
    [
      '500011',
      'invalid_resource',
      InvalidScopeError,
      'KEYLESS_ERR_AZURE_INVALID_SCOPE',
      false,
      'AWF_AUTH_AZURE_SCOPE',
    ],
    [
      '90002',
      'invalid_tenant',
      TenantNotFoundError,
      'KEYLESS_ERR_AZURE_TENANT_NOT_FOUND',
      false,
      'AWF_AUTH_AZURE_CLOUD (engine.auth.azure-cloud)',
    ],
  ] as const)('AADSTS%s (%s) -> %O', (code, oauth, type, errorCode, retryable, fix) => {
    const error = mapEntraError(msalServerError(400, oauth, code, `AADSTS${code}: something.`), {
      remoteText,
      config,
      assertion,
    });
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code: errorCode, retryable, aadsts: `AADSTS${code}` });
    expect(error.message).toContain(`AADSTS${code}`);
    expect(error.fix).toContain(fix);
  });

  it('reads an AuthenticationError (errorResponse) as well', () => {
    const sdk = new AuthenticationError(400, {
      error: 'invalid_scope',
      error_description:
        'AADSTS70011: The provided request must include a scope input parameter.\r\nTrace ID: x',
      error_codes: [70011],
    });
    const error = mapEntraError(sdk, { config, remoteText });
    expect(error).toBeInstanceOf(InvalidScopeError);
    expect(error.message).toContain(
      'AADSTS70011: The provided request must include a scope input parameter.',
    );
    expect(error.message).not.toContain('Trace ID');
  });

  it('recovers "tenant not found" from the metadata answer that MSAL hides', () => {
    const wire: WireRecord = {
      path: `/${TENANT}/v2.0/.well-known/openid-configuration`,
      status: 400,
      errorBody: JSON.stringify({
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${TENANT}' not found. Check to make sure you have the correct tenant ID.\r\nTrace ID: 1`,
        error_codes: [90002],
      }),
    };
    const error = mapEntraError(endpointsError(), { remoteText, config, wire });
    expect(error).toBeInstanceOf(TenantNotFoundError);
    expect(error.message).toContain(`AADSTS90002: Tenant '${TENANT}' not found.`);
    expect(error.fix).toContain(
      `tenant ${TENANT} does not exist at https://login.microsoftonline.com`,
    );
  });

  it.each([
    ['ECONNREFUSED', 'allow egress to https://login.microsoftonline.com'],
    ['ENOTFOUND', 'allow egress to https://login.microsoftonline.com'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'NODE_EXTRA_CA_CERTS'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'NODE_EXTRA_CA_CERTS'],
  ])('a transport failure (%s) is retryable and says how to fix egress', (code, fix) => {
    const wire: WireRecord = {
      path: `/${TENANT}/v2.0/.well-known/openid-configuration`,
      error: restError(code),
    };
    const error = mapEntraError(endpointsError(), { remoteText, config, wire });
    expect(error).toBeInstanceOf(EntraUnreachableError);
    expect(error).toMatchObject({ code: 'KEYLESS_ERR_AZURE_UNREACHABLE', retryable: true });
    expect(error.message).toBe(`cannot reach Entra at https://login.microsoftonline.com: ${code}`);
    expect(error.fix).toContain(fix);
  });

  it('names the proxy by host only, never with its credentials', () => {
    const error = mapEntraError(networkError(), {
      remoteText,
      config,
      wire: { path: '/t', error: restError('ECONNRESET') },
      proxyUrl: 'http://user:hunter2@proxy.corp:3128/',
    });
    expect(error.message).toContain('through proxy proxy.corp:3128');
    expect(`${error.message} ${error.fix}`).not.toContain('hunter2');
  });

  it.each([500, 503, 429])('HTTP %i is a retryable server error', (status) => {
    const sdk = msalServerError(
      status,
      'server_error',
      undefined,
      `A server error occured.\nHttp status code: ${status}`,
    );
    const error = mapEntraError(sdk, { config, remoteText });
    expect(error).toBeInstanceOf(EntraServerError);
    expect(error).toMatchObject({
      code: 'KEYLESS_ERR_AZURE_SERVER_ERROR',
      retryable: true,
      entraStatus: status,
    });
  });

  it('a 200 answer MSAL cannot read is a bad response (a proxy or portal in between)', () => {
    const wire: WireRecord = {
      path: `/${TENANT}/oauth2/v2.0/token`,
      status: 200,
      contentType: 'text/html',
    };
    const error = mapEntraError(networkError(), { remoteText, config, wire });
    expect(error).toBeInstanceOf(EntraBadResponseError);
    expect(error.message).toContain('(text/html)');
  });

  it('an unknown 4xx AADSTS code is not retryable and links the code', () => {
    const error = mapEntraError(
      msalServerError(400, 'invalid_request', '50000', 'AADSTS50000: oops.'),
      { config, remoteText },
    );
    expect(error).toBeInstanceOf(EntraRejectedError);
    expect(error).toMatchObject({ code: 'KEYLESS_ERR_AZURE_EXCHANGE_FAILED', retryable: false });
    expect(error.fix).toContain('https://login.microsoftonline.com/error?code=50000');
  });

  it('a metadata 404 points at the authority host', () => {
    const wire: WireRecord = {
      path: `/${TENANT}/v2.0/.well-known/openid-configuration`,
      status: 404,
      errorBody: 'nope',
    };
    const error = mapEntraError(endpointsError(), { remoteText, config, wire });
    expect(error).toBeInstanceOf(EntraRejectedError);
    expect(error.fix).toContain('AZURE_AUTHORITY_HOST');
  });

  it('an unexplained SDK error stays retryable', () => {
    const error = mapEntraError(new Error('weird'), { config, remoteText });
    expect(error).toBeInstanceOf(EntraError);
    expect(error).toMatchObject({ retryable: true, message: 'Entra token request failed: weird' });
  });

  it('returns a KeylessError found in the cause chain as is', () => {
    const inner = new ExchangeError('KEYLESS_ERR_OIDC', 'github-oidc', 'no id-token permission');
    const wrapped = new AuthenticationRequiredError({ scopes: [], message: 'x', cause: inner });
    expect(mapEntraError(wrapped, { config, remoteText })).toBe(inner);
  });
});

describe('describeEntraFailure', () => {
  it('collects the AADSTS code, OAuth error, status and description from an MSAL error', () => {
    const sdk = msalServerError(
      401,
      'invalid_client',
      '700213',
      "AADSTS700213: No match for subject 'x'.\r\nTrace ID: t",
    );
    expect(describeEntraFailure(sdk, undefined, remoteText)).toEqual({
      aadsts: 'AADSTS700213',
      oauthError: 'invalid_client',
      httpStatus: 401,
      description: "AADSTS700213: No match for subject 'x'.",
    });
  });

  it('redacts the whole description before it cuts the trace ids off', () => {
    const seen: string[] = [];
    const spy = (value: unknown, maxChars?: number) => {
      seen.push(String(value));
      return remoteText(value, maxChars);
    };
    const body = JSON.stringify({
      error: 'invalid_request',
      error_description: 'AADSTS50000: echoed x\r\nTrace ID: t\r\nCorrelation ID: c',
    });
    const failure = describeEntraFailure(
      new Error('x'),
      { path: '/', status: 400, errorBody: body },
      spy,
    );
    expect(seen[0]).toContain('Trace ID: t');
    expect(failure.description).toBe('AADSTS50000: echoed x');
  });

  it('takes the transport code from the wire and the SDK code from MSAL', () => {
    expect(
      describeEntraFailure(
        networkError(),
        { path: '/', error: restError('ECONNRESET') },
        remoteText,
      ),
    ).toEqual({
      networkCode: 'ECONNRESET',
      sdkCode: 'network_error',
    });
  });
});
