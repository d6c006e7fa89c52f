import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { errors as joseErrors } from 'jose';
import type { JWTPayload } from 'jose';
import { pathOf, sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer, RecordedRequest } from './fake-server.ts';
import { idTokenVerifier } from './github-oidc-issuer.ts';
import type { IdTokenIssuerRef } from './github-oidc-issuer.ts';

/** Cap on a federated (STS) token's lifetime, seconds (GCP issues at most one hour). */
export const DEFAULT_STS_EXPIRES_IN = 3600;

/** Impersonated token lifetime when the request names none, seconds. */
export const DEFAULT_IMPERSONATION_LIFETIME = 3600;

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = new Set([
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
]);
const PROVIDER_RESOURCE =
  /^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/;
const GENERATE_ACCESS_TOKEN = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):generateAccessToken$/;
const MAX_IMPERSONATION_LIFETIME = 3600;

export interface GcpStsOptions {
  /** Whose ID tokens are accepted as subject tokens (a GithubOidcIssuer fits). */
  readonly issuer: IdTokenIssuerRef;
  /**
   * The workload identity provider: `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X`
   * (the prefix may be omitted). The STS `audience` form parameter must name it.
   */
  readonly audience: string;
  /** Accepted `aud` of subject tokens; default `https:` + the provider name (and the `//` form). */
  readonly allowedAudiences?: readonly string[];
  /** The provider's attribute condition; rejecting gives GCP's invalid_grant. */
  readonly attributeCondition?: (claims: JWTPayload) => boolean;
  /** Service accounts the federated principal may impersonate (emails). */
  readonly serviceAccounts?: readonly string[];
  /** Cap on STS `expires_in`, seconds (default 3600). */
  readonly expiresIn?: number;
  /** When true (default), an STS token never outlives its subject token, like GCP's. */
  readonly capToSubjectLifetime?: boolean;
  /** Impersonated token lifetime, seconds; overrides the requested `lifetime` when set. */
  readonly impersonationLifetime?: number;
  /** PEM key and certificate: serve HTTPS. */
  readonly tls?: { key: string; cert: string };
}

/** A fake GCP Security Token Service plus IAM Credentials, on one server. */
export interface GcpSts extends FakeServer {
  /** Value for `token_url` / AWF_AUTH_GCP_TOKEN_URL. */
  readonly tokenUrl: string;
  /** Base URL for AWF_AUTH_GCP_IAM_CREDENTIALS_URL. */
  readonly iamCredentialsUrl: string;
  /** The normalised provider audience (`//iam.googleapis.com/...`). */
  readonly audience: string;
  /** Every token issued (federated and impersonated), in order. */
  readonly issued: string[];
  /** STS (federated) tokens, in order. */
  readonly federated: string[];
  /** IAM Credentials (service account) tokens, in order. */
  readonly impersonated: string[];
  /** `service_account_impersonation_url` for an email. */
  impersonationUrl(email: string): string;
  /** Changes the STS lifetime cap, seconds. */
  setExpiresIn(seconds: number): void;
  /** Forces the impersonated lifetime, seconds; `undefined` honours the request again. */
  setImpersonationLifetime(seconds: number | undefined): void;
  /** True when the token was issued here and has not expired (for fake upstreams). */
  accepts(token: string): boolean;
}

/** Starts the fake STS (`POST /v1/token`) and IAM Credentials (`:generateAccessToken`). */
export async function startGcpSts(options: GcpStsOptions): Promise<GcpSts> {
  const audience = normaliseProvider(options.audience);
  const allowedAudiences = new Set(options.allowedAudiences ?? [`https:${audience}`, audience]);
  const serviceAccounts = new Set((options.serviceAccounts ?? []).map((e) => e.toLowerCase()));
  const verifySubject = idTokenVerifier(options.issuer);
  let expiresIn = options.expiresIn ?? DEFAULT_STS_EXPIRES_IN;
  let impersonationLifetime = options.impersonationLifetime;
  const issued: string[] = [];
  const federated: string[] = [];
  const impersonated: string[] = [];
  // token -> expiry, ms epoch
  const federatedExpiry = new Map<string, number>();
  const impersonatedExpiry = new Map<string, number>();

  const exchange = async (res: http.ServerResponse, request: RecordedRequest) => {
    const form = new URLSearchParams(request.body.toString('utf8'));
    if (form.get('grant_type') !== TOKEN_EXCHANGE) {
      return stsError(res, 'unsupported_grant_type', `Invalid value for "grant_type".`);
    }
    if (form.get('requested_token_type') !== ACCESS_TOKEN_TYPE) {
      return stsError(res, 'invalid_request', `Invalid value for "requested_token_type".`);
    }
    if (!SUBJECT_TOKEN_TYPES.has(form.get('subject_token_type') ?? '')) {
      return stsError(res, 'invalid_request', `Invalid value for "subject_token_type".`);
    }
    const requested = form.get('audience') ?? '';
    if (!PROVIDER_RESOURCE.test(requested)) {
      return stsError(
        res,
        'invalid_request',
        'Invalid value for "audience". This value should be the full resource name of the Identity Provider. ' +
          'See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.',
      );
    }
    if (requested !== audience) {
      return stsError(
        res,
        'invalid_target',
        'The target service indicated by the "audience" parameters is invalid. This might either be because the pool ' +
          "or provider is disabled or deleted or because it doesn't exist.",
      );
    }
    const subjectToken = form.get('subject_token');
    if (!subjectToken)
      return stsError(res, 'invalid_request', 'Missing required parameter: "subject_token".');

    let claims: JWTPayload;
    try {
      claims = await verifySubject(subjectToken);
    } catch (error) {
      return stsError(res, 'invalid_grant', subjectTokenProblem(error));
    }
    if (claims.iss !== options.issuer.issuer) {
      return stsError(
        res,
        'invalid_grant',
        `The issuer in ID Token ${String(claims.iss)} does not match the expected issuer ${options.issuer.issuer}.`,
      );
    }
    const tokenAudiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    if (!tokenAudiences.some((a) => allowedAudiences.has(a))) {
      return stsError(
        res,
        'invalid_grant',
        `The audience in ID Token [${tokenAudiences.join(', ')}] does not match the expected audience.`,
      );
    }
    if (options.attributeCondition && !options.attributeCondition(claims)) {
      return stsError(
        res,
        'unauthorized_client',
        'The given credential is rejected by the attribute condition.',
      );
    }

    const remaining = (claims.exp ?? 0) - Math.floor(Date.now() / 1000);
    const lifetime =
      options.capToSubjectLifetime === false ? expiresIn : Math.min(expiresIn, remaining);
    const accessToken = `ya29.fake-sts.${randomBytes(32).toString('base64url')}`;
    issued.push(accessToken);
    federated.push(accessToken);
    federatedExpiry.set(accessToken, Date.now() + lifetime * 1000);
    sendJson(res, 200, {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: lifetime,
    });
  };

  const generateAccessToken = (
    res: http.ServerResponse,
    request: RecordedRequest,
    email: string,
  ) => {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const stsExpiry = bearer === undefined ? undefined : federatedExpiry.get(bearer);
    if (stsExpiry === undefined || Date.now() >= stsExpiry) {
      return iamError(
        res,
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid ' +
          'authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    if (!serviceAccounts.has(email.toLowerCase())) {
      return iamError(
        res,
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'IAM_PERMISSION_DENIED',
          domain: 'iam.googleapis.com',
          metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
        },
      );
    }
    let body: { scope?: unknown; lifetime?: unknown };
    try {
      body = JSON.parse(request.body.toString('utf8') || '{}') as typeof body;
    } catch {
      return iamError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (!Array.isArray(body.scope) || body.scope.length === 0) {
      return iamError(res, 400, 'INVALID_ARGUMENT', 'Scope required.');
    }
    let seconds = DEFAULT_IMPERSONATION_LIFETIME;
    if (body.lifetime !== undefined) {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(String(body.lifetime));
      seconds = match ? Number(match[1]) : Number.NaN;
      if (!(seconds > 0 && seconds <= MAX_IMPERSONATION_LIFETIME)) {
        return iamError(
          res,
          400,
          'INVALID_ARGUMENT',
          `Lifetime must be between 1s and ${MAX_IMPERSONATION_LIFETIME}s, got "${String(body.lifetime)}".`,
        );
      }
    }
    seconds = impersonationLifetime ?? seconds;
    const expiresAt = Date.now() + seconds * 1000;
    const accessToken = `ya29.fake-sa.${randomBytes(32).toString('base64url')}`;
    issued.push(accessToken);
    impersonated.push(accessToken);
    impersonatedExpiry.set(accessToken, expiresAt);
    // Google answers with second precision.
    sendJson(res, 200, {
      accessToken,
      expireTime: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    });
  };

  const server = await startFakeServer(
    async (request, res) => {
      const path = pathOf(request.url);
      if (request.method === 'POST' && path === '/v1/token') return exchange(res, request);
      const email = GENERATE_ACCESS_TOKEN.exec(path)?.[1];
      if (request.method === 'POST' && email !== undefined) {
        return generateAccessToken(res, request, decodeURIComponent(email));
      }
      iamError(res, 404, 'NOT_FOUND', `No route for ${request.method} ${path}`);
    },
    options.tls ? { tls: options.tls } : {},
  );

  return {
    ...server,
    tokenUrl: `${server.url}/v1/token`,
    iamCredentialsUrl: server.url,
    audience,
    issued,
    federated,
    impersonated,
    impersonationUrl: (email) =>
      `${server.url}/v1/projects/-/serviceAccounts/${email}:generateAccessToken`,
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    setImpersonationLifetime(seconds) {
      impersonationLifetime = seconds;
    },
    accepts(token) {
      const expiresAt = federatedExpiry.get(token) ?? impersonatedExpiry.get(token);
      return expiresAt !== undefined && Date.now() < expiresAt;
    },
  };
}

/** Adds the `//iam.googleapis.com/` prefix when missing. */
function normaliseProvider(name: string): string {
  const bare = name.replace(/^(https:)?\/\/iam\.googleapis\.com\//, '');
  return `//iam.googleapis.com/${bare}`;
}

/** GCP's wording for a subject token that failed verification. */
function subjectTokenProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The ID Token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `The ID Token is not valid: "${error.claim}" check failed.`;
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey
  ) {
    return 'Invalid JWT signature.';
  }
  return 'Unable to parse the ID Token.';
}

/** STS's OAuth error shape: 400 `{error, error_description}`. */
function stsError(res: http.ServerResponse, error: string, description: string): void {
  sendJson(res, 400, { error, error_description: description });
}

/** Google API error shape: `{error: {code, message, status, details?}}`. */
function iamError(
  res: http.ServerResponse,
  code: number,
  status: string,
  message: string,
  detail?: Record<string, unknown>,
): void {
  sendJson(res, code, {
    error: { code, message, status, ...(detail ? { details: [detail] } : {}) },
  });
}
