import { randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { pathOf, sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer } from './fake-server.ts';

/** Lifetime of a GitHub Actions ID token, seconds (GitHub's is exactly 300). */
export const DEFAULT_ID_TOKEN_LIFETIME_SECONDS = 300;

/** Claims of the default job: a push to `main` of `octo-org/octo-repo`. */
export const DEFAULT_GITHUB_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({
  repository: 'octo-org/octo-repo',
  repository_id: '1296269',
  repository_owner: 'octo-org',
  repository_owner_id: '9919',
  repository_visibility: 'private',
  ref: 'refs/heads/main',
  ref_type: 'branch',
  ref_protected: 'true',
  sha: 'a9c1d9ef1b4a5b3c0e6f1d2c3b4a5968778695a4',
  actor: 'octocat',
  actor_id: '583231',
  event_name: 'push',
  workflow: 'agent',
  workflow_ref: 'octo-org/octo-repo/.github/workflows/agent.yml@refs/heads/main',
  job_workflow_ref: 'octo-org/octo-repo/.github/workflows/agent.yml@refs/heads/main',
  run_id: '4242424242',
  run_number: '17',
  run_attempt: '1',
  runner_environment: 'github-hosted',
});

/** Where another fake finds an ID token issuer: its `iss` and its keys. */
export interface IdTokenIssuerRef {
  /** Expected `iss` claim. */
  readonly issuer: string;
  /** JWKS URL, fetched when `jwks` is absent. */
  readonly jwksUrl: string;
  /** Public keys, used in process (no HTTP) when present. */
  readonly jwks?: JSONWebKeySet;
}

export interface GithubOidcIssuerOptions {
  /** Expected ACTIONS_ID_TOKEN_REQUEST_TOKEN; random when absent. */
  readonly requestToken?: string;
  /** Token lifetime, seconds (default 300). */
  readonly lifetimeSeconds?: number;
  /** Claims merged over the defaults; they win over computed ones (`sub`, `iat`, `exp`, ...). */
  readonly claims?: Record<string, unknown>;
  /** `iss` value; the fake's own URL when absent. */
  readonly issuer?: string;
  /** PEM key and certificate: serve HTTPS. */
  readonly tls?: { key: string; cert: string };
}

/** A fake GitHub Actions OIDC token service and issuer. */
export interface GithubOidcIssuer extends FakeServer, IdTokenIssuerRef {
  /** The full ACTIONS_ID_TOKEN_REQUEST_URL value (already carries `?api-version=2.0`). */
  readonly requestUrl: string;
  /** The ACTIONS_ID_TOKEN_REQUEST_TOKEN value it accepts. */
  readonly requestToken: string;
  readonly jwks: JSONWebKeySet;
  /** Every token issued, in order (for canary scans). */
  readonly minted: string[];
  /** Changes the lifetime of later tokens, seconds (may be negative: already expired). */
  setLifetime(seconds: number): void;
  /** Merges claims into later tokens; an `undefined` value removes a claim. */
  setClaims(partial: Record<string, unknown>): void;
  /** Mints a token in process, as the token endpoint would (recorded in `minted`). */
  mint(audience: string, claims?: Record<string, unknown>): Promise<string>;
  /** Verifies a token against this issuer's keys, `iss` and `audience`; resolves its payload. */
  verify(token: string, options: { audience: string }): Promise<JWTPayload>;
}

/** Starts the fake issuer: openid-configuration, JWKS and the Actions token endpoint. */
export async function startGithubOidcIssuer(
  options: GithubOidcIssuerOptions = {},
): Promise<GithubOidcIssuer> {
  const requestToken =
    options.requestToken ?? `fake-actions-request-${randomBytes(16).toString('hex')}`;
  let lifetime = options.lifetimeSeconds ?? DEFAULT_ID_TOKEN_LIFETIME_SECONDS;
  let claims: Record<string, unknown> = { ...DEFAULT_GITHUB_CLAIMS, ...options.claims };
  const minted: string[] = [];

  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };
  const keySet = createLocalJWKSet(jwks);

  // The URL is known only once the server listens; the handler reads it lazily.
  let issuer = options.issuer ?? '';

  const mint = async (audience: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const merged = { ...claims, ...extra };
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      sub: githubSubject(merged),
      aud: audience,
      iss: issuer,
      // GitHub back-dates nbf a little before iat.
      nbf: now - 5,
      iat: now,
      exp: now + lifetime,
      ...merged,
    };
    for (const [key, value] of Object.entries(payload))
      if (value === undefined) delete payload[key];
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .sign(privateKey);
    minted.push(token);
    return token;
  };

  const server = await startFakeServer(
    async (request, res) => {
      const path = pathOf(request.url);
      if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
        sendJson(res, 200, {
          issuer,
          jwks_uri: `${server.url}/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          claims_supported: [
            'sub',
            'aud',
            'exp',
            'iat',
            'iss',
            'jti',
            'nbf',
            'ref',
            'repository',
            'environment',
          ],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid'],
        });
        return;
      }
      if (request.method === 'GET' && path === '/.well-known/jwks') {
        sendJson(res, 200, jwks);
        return;
      }
      if (request.method === 'GET' && path === '/token') {
        if (request.headers.authorization !== `Bearer ${requestToken}`) {
          sendJson(res, 401, {
            message: 'Bad credentials: invalid ACTIONS_ID_TOKEN_REQUEST_TOKEN',
          });
          return;
        }
        const query = new URL(request.url, server.url).searchParams;
        if (!query.get('api-version')) {
          sendJson(res, 400, { message: 'api-version query parameter is required' });
          return;
        }
        // Without an audience GitHub uses the repository owner's URL.
        const audience =
          query.get('audience') || `https://github.com/${String(claims.repository_owner)}`;
        sendJson(res, 200, { value: await mint(audience) });
        return;
      }
      sendJson(res, 404, { message: 'Not Found' });
    },
    options.tls ? { tls: options.tls } : {},
  );
  issuer ||= server.url;

  return {
    ...server,
    issuer,
    jwksUrl: `${server.url}/.well-known/jwks`,
    jwks,
    requestUrl: `${server.url}/token?api-version=2.0`,
    requestToken,
    minted,
    setLifetime(seconds) {
      lifetime = seconds;
    },
    setClaims(partial) {
      claims = { ...claims, ...partial };
    },
    mint,
    async verify(token, { audience }) {
      const { payload } = await jwtVerify(token, keySet, {
        issuer,
        audience,
        algorithms: ['RS256'],
      });
      return payload;
    },
  };
}

/**
 * Returns a function that checks an ID token's RS256 signature and time claims
 * (`exp`, `nbf`) against the issuer's keys, leaving `iss`/`aud`/`sub` to the
 * caller so that it can answer each mismatch with its own error. Rejects with
 * jose's typed errors (`JWTExpired`, `JWSSignatureVerificationFailed`, ...).
 */
export function idTokenVerifier(ref: IdTokenIssuerRef): (token: string) => Promise<JWTPayload> {
  const keys: JWTVerifyGetKey = ref.jwks
    ? createLocalJWKSet(ref.jwks)
    : createRemoteJWKSet(new URL(ref.jwksUrl));
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
    });
    return payload;
  };
}

/** GitHub's `sub` for these claims: environment jobs use the environment, pull requests say so, others the ref. */
export function githubSubject(claims: Record<string, unknown>): string {
  const repository = String(claims.repository);
  if (typeof claims.environment === 'string')
    return `repo:${repository}:environment:${claims.environment}`;
  if (claims.event_name === 'pull_request') return `repo:${repository}:pull_request`;
  return `repo:${repository}:ref:${String(claims.ref)}`;
}
