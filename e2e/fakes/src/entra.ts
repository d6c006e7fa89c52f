import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { errors as joseErrors } from 'jose';
import type { JWTPayload } from 'jose';
import { pathOf, sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer } from './fake-server.ts';
import { idTokenVerifier } from './github-oidc-issuer.ts';
import type { IdTokenIssuerRef } from './github-oidc-issuer.ts';

/** Audience Entra expects in a GitHub token by default. */
export const DEFAULT_FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';

/** Lifetime of an issued access token, seconds (Entra's usual `expires_in`). */
export const DEFAULT_ENTRA_EXPIRES_IN = 3599;

/** Scopes the fake grants unless told otherwise: Cognitive Services in each cloud. */
export const DEFAULT_ENTRA_SCOPES: readonly string[] = [
  'https://cognitiveservices.azure.com/.default',
  'https://cognitiveservices.azure.us/.default',
  'https://cognitiveservices.azure.cn/.default',
];

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// MSAL may add these to any request; they never decide the resource.
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** A federated identity credential registered on an app: which GitHub token may sign in as it. */
export interface FederatedCredential {
  readonly tenantId: string;
  /** Application (client) id. */
  readonly clientId: string;
  /** Exact, case-sensitive `sub`, e.g. `repo:octo-org/octo-repo:ref:refs/heads/main`. */
  readonly subject: string;
  /** Default `api://AzureADTokenExchange`. */
  readonly audience?: string;
  /** Default: the configured issuer's `issuer`. */
  readonly issuer?: string;
}

export interface EntraOptions {
  /** Whose ID tokens are accepted as client assertions (a GithubOidcIssuer fits). */
  readonly issuer: IdTokenIssuerRef;
  /** PEM key and certificate (from `createTestCa().issue()`): @azure/identity requires https. */
  readonly tls: { key: string; cert: string };
  readonly federatedCredentials: readonly FederatedCredential[];
  /** `expires_in` of issued tokens, seconds (default 3599). */
  readonly expiresIn?: number;
  /** Accepted scopes (default DEFAULT_ENTRA_SCOPES). */
  readonly scopes?: readonly string[];
  /** Answer every federated mismatch with the classic AADSTS70021 instead of 700211/700212/700213. */
  readonly legacyMismatchError?: boolean;
}

/** A fake Microsoft Entra ID (v2.0 endpoints) for workload identity federation. */
export interface Entra extends FakeServer {
  /** Value for AZURE_AUTHORITY_HOST / `authorityHost` (the https base URL). */
  readonly authorityHost: string;
  /** Every access token issued, in order. */
  readonly issued: string[];
  /** Token endpoint of a tenant. */
  tokenUrl(tenantId: string): string;
  /** Changes `expires_in` of later tokens, seconds. */
  setExpiresIn(seconds: number): void;
  /** True when the token was issued here and has not expired (for fake upstreams). */
  accepts(token: string): boolean;
}

/** Starts the fake Entra over HTTPS: openid-configuration, JWKS and the v2.0 token endpoint. */
export async function startEntra(options: EntraOptions): Promise<Entra> {
  let expiresIn = options.expiresIn ?? DEFAULT_ENTRA_EXPIRES_IN;
  const scopes = new Set(options.scopes ?? DEFAULT_ENTRA_SCOPES);
  const verifyAssertion = idTokenVerifier(options.issuer);
  const issued: string[] = [];
  const expiries = new Map<string, number>();
  const credentials = options.federatedCredentials;
  const knownTenant = (tenant: string) => credentials.some((c) => sameId(c.tenantId, tenant));

  const discovery = (res: http.ServerResponse, tenant: string) => {
    if (!knownTenant(tenant)) {
      entraError(res, 400, 'invalid_tenant', 90002, tenantNotFound(tenant));
      return;
    }
    const base = `${server.url}/${tenant}`;
    sendJson(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  };

  const token = async (res: http.ServerResponse, tenant: string, body: Buffer) => {
    const form = new URLSearchParams(body.toString('utf8'));
    const clientId = form.get('client_id') ?? '';
    if (!knownTenant(tenant))
      return entraError(res, 400, 'invalid_request', 90002, tenantNotFound(tenant));
    if (form.get('grant_type') !== 'client_credentials') {
      return entraError(
        res,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
      );
    }
    if (!clientId)
      return entraError(res, 400, 'invalid_request', 900144, missingParameter('client_id'));
    const apps = credentials.filter(
      (c) => sameId(c.tenantId, tenant) && sameId(c.clientId, clientId),
    );
    if (apps.length === 0) {
      return entraError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. ` +
          'This can happen if the application has not been installed by the administrator of the tenant ' +
          'or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
      );
    }
    const scope = form.get('scope');
    if (!scope) return entraError(res, 400, 'invalid_request', 900144, missingParameter('scope'));
    const resourceScopes = scope.split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
    const badScope = resourceScopes.find((s) => !scopes.has(s));
    if (resourceScopes.length === 0 || badScope !== undefined) {
      return entraError(
        res,
        400,
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope '${badScope ?? scope}' is not valid.`,
      );
    }
    if (form.has('client_secret')) {
      return entraError(
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ` +
          `not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const assertion = form.get('client_assertion');
    if (!assertion) {
      return entraError(
        res,
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      return entraError(
        res,
        400,
        'invalid_request',
        900144,
        missingParameter('client_assertion_type'),
      );
    }

    let claims: JWTPayload;
    try {
      claims = await verifyAssertion(assertion);
    } catch (error) {
      return assertionError(res, error, assertion);
    }
    const mismatch = federationMismatch(claims, apps, options);
    if (mismatch)
      return entraError(res, mismatch.status, mismatch.error, mismatch.code, mismatch.message);

    const accessToken = `fake-entra.${randomBytes(32).toString('base64url')}`;
    issued.push(accessToken);
    expiries.set(accessToken, Date.now() + expiresIn * 1000);
    sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: accessToken,
    });
  };

  const server = await startFakeServer(
    async (request, res) => {
      const [, tenant = '', ...rest] = pathOf(request.url).split('/');
      const route = rest.join('/');
      if (request.method === 'GET' && route === 'v2.0/.well-known/openid-configuration')
        return discovery(res, tenant);
      if (request.method === 'GET' && route === 'discovery/v2.0/keys')
        return sendJson(res, 200, { keys: [] });
      if (request.method === 'POST' && route === 'oauth2/v2.0/token')
        return token(res, tenant, request.body);
      sendJson(res, 404, {
        error: 'not_found',
        error_description: `No route for ${request.method} ${request.url}`,
      });
    },
    { tls: options.tls },
  );

  return {
    ...server,
    authorityHost: server.url,
    issued,
    tokenUrl: (tenantId) => `${server.url}/${tenantId}/oauth2/v2.0/token`,
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    accepts(accessToken) {
      const expiresAt = expiries.get(accessToken);
      return expiresAt !== undefined && Date.now() < expiresAt;
    },
  };
}

interface Mismatch {
  status: number;
  error: string;
  code: number;
  message: string;
}

/** Matches the assertion's iss/aud/sub against the app's federated credentials, as Entra reports it. */
function federationMismatch(
  claims: JWTPayload,
  apps: readonly FederatedCredential[],
  options: EntraOptions,
): Mismatch | undefined {
  const iss = claims.iss ?? '';
  const sub = claims.sub ?? '';
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  const issuerOk = apps.filter((c) => (c.issuer ?? options.issuer.issuer) === iss);
  const audienceOk = issuerOk.filter((c) =>
    audiences.includes(c.audience ?? DEFAULT_FEDERATED_AUDIENCE),
  );
  if (audienceOk.some((c) => c.subject === sub)) return undefined;

  const check =
    'Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ' +
    'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
  if (options.legacyMismatchError) {
    return {
      status: 400,
      error: 'invalid_request',
      code: 70021,
      message:
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. ` +
        `Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(',')}'. ` +
        'https://learn.microsoft.com/entra/workload-id/workload-identity-federation',
    };
  }
  if (issuerOk.length === 0) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 700211,
      message: `No matching federated identity record found for presented assertion issuer '${iss}'. ${check}`,
    };
  }
  if (audienceOk.length === 0) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 700212,
      message: `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'. ${check}`,
    };
  }
  if (audienceOk.some((c) => c.subject.toLowerCase() === sub.toLowerCase())) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 7002138,
      message:
        `No matching federated identity record found for presented assertion subject '${sub}'. ` +
        `The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ${check}`,
    };
  }
  return {
    status: 401,
    error: 'invalid_client',
    code: 700213,
    message: `No matching federated identity record found for presented assertion subject '${sub}'. ${check}`,
  };
}

/** Turns a jose verification failure into Entra's answer (never echoing the assertion). */
function assertionError(res: http.ServerResponse, error: unknown, assertion: string): void {
  if (
    error instanceof joseErrors.JWTExpired ||
    (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf')
  ) {
    const claims = error.payload;
    const at = (seconds: unknown) =>
      typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'unknown';
    return entraError(
      res,
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, ` +
        `assertion valid from ${at(claims.nbf ?? claims.iat)}, expiry time of assertion ${at(claims.exp)}. ` +
        'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .',
    );
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey
  ) {
    return entraError(
      res,
      401,
      'invalid_client',
      700027,
      'Client assertion failed signature validation.',
    );
  }
  if (error instanceof joseErrors.JOSEError) {
    return entraError(res, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
  }
  // Unexpected: say so without the assertion in it.
  throw new Error(`assertion verification failed (${assertion.length} chars): ${String(error)}`);
}

/** Writes an Entra error body: `error`, `error_description` starting with `AADSTS{code}:`, `error_codes`, ids. */
function entraError(
  res: http.ServerResponse,
  status: number,
  error: string,
  code: number,
  message: string,
): void {
  sendJson(res, status, entraErrorBody(error, code, message));
}

/** Entra's error answer for `AADSTS{code}` (with trace and correlation ids), as JSON. */
export function entraErrorBody(
  error: string,
  code: number,
  message: string,
): Record<string, unknown> {
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function tenantNotFound(tenant: string): string {
  return (
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
    'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.'
  );
}

function missingParameter(name: string): string {
  return `The request body must contain the following parameter: '${name}'.`;
}

/** Tenant and client ids compare case-insensitively (GUIDs, domain names). */
function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
