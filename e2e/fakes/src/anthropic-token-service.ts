import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { bearerOf, pathOf, sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer, RecordedRequest } from './fake-server.ts';
import { idTokenVerifier } from './github-oidc-issuer.ts';
import type { IdTokenIssuerRef } from './github-oidc-issuer.ts';

/** Access token lifetime when none is set, seconds (Anthropic's federation tokens last minutes to an hour). */
export const DEFAULT_ANTHROPIC_TOKEN_EXPIRES_IN = 3600;

/** Default audience a federation rule expects of the GitHub token. */
export const DEFAULT_ANTHROPIC_FEDERATION_AUDIENCE = 'https://api.anthropic.com';

/** `anthropic-beta` value an OAuth bearer token needs on API requests. */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** One federation rule of the fake: which ids it binds and which GitHub tokens it accepts. */
export interface FakeFederationRule {
  /** `fdrl_...` */
  readonly id: string;
  readonly organizationId: string;
  /** `svac_...` */
  readonly serviceAccountId: string;
  /** Workspaces the rule is enabled for; with more than one the request must name one. Default `['wrkspc_default']`. */
  readonly workspaces?: readonly string[];
  /** Accepted `aud` of the GitHub token (default DEFAULT_ANTHROPIC_FEDERATION_AUDIENCE). */
  readonly audience?: string;
  /** Claim condition; false answers 401 like a rule that does not match. */
  readonly condition?: (claims: JWTPayload) => boolean;
}

/** Options of `startAnthropicTokenService`. */
export interface AnthropicTokenServiceOptions {
  /** Whose GitHub tokens are accepted as `assertion` (a GithubOidcIssuer fits). */
  readonly issuer: IdTokenIssuerRef;
  readonly rules: readonly FakeFederationRule[];
  /** Lifetime of the access tokens, seconds (default 3600). */
  readonly expiresIn?: number;
  /** PEM key and certificate: serve HTTPS. */
  readonly tls?: { key: string; cert: string };
}

/** One access token the service issued. */
export interface IssuedAnthropicToken {
  readonly token: string;
  /** ms epoch */
  readonly expiresAt: number;
  readonly ruleId: string;
  readonly workspaceId: string;
}

/**
 * A fake Anthropic workload identity federation token endpoint:
 * `POST /v1/oauth/token` with JSON `{grant_type: jwt-bearer, assertion,
 * federation_rule_id, organization_id, service_account_id[, workspace_id]}` ->
 * `{access_token: "sk-ant-oat01-...", token_type: "Bearer", expires_in}`;
 * refusals are OAuth error bodies (`invalid_grant` 401, `invalid_request` 400).
 */
export interface AnthropicTokenService extends FakeServer {
  /** The AWF_AUTH_ANTHROPIC_TOKEN_URL value. */
  readonly tokenUrl: string;
  /** Every access token issued, in order (for canary scans). */
  readonly issued: IssuedAnthropicToken[];
  /** Successful exchanges so far. */
  readonly exchanges: number;
  /** True when `token` was issued here, is not revoked and has not expired. */
  accepts(token: string | undefined): boolean;
  /**
   * A fake upstream's `authorize`: a live Bearer token from here, the OAuth beta
   * among the `anthropic-beta` values, and no `x-api-key`.
   */
  authorizes(request: RecordedRequest): boolean;
  /** Makes an issued token unacceptable from now on. */
  revoke(token: string): void;
  /** Changes the lifetime of later tokens, seconds. */
  setExpiresIn(seconds: number): void;
}

/** Starts the fake token endpoint on 127.0.0.1 (faults via the base's `inject`). */
export async function startAnthropicTokenService(
  options: AnthropicTokenServiceOptions,
): Promise<AnthropicTokenService> {
  let expiresIn = options.expiresIn ?? DEFAULT_ANTHROPIC_TOKEN_EXPIRES_IN;
  const verify = idTokenVerifier(options.issuer);
  const issued: IssuedAnthropicToken[] = [];
  const revoked = new Set<string>();

  const server = await startFakeServer(
    async (request, res) => {
      if (request.method !== 'POST' || pathOf(request.url) !== '/v1/oauth/token') {
        sendJson(res, 404, {
          type: 'error',
          error: { type: 'not_found_error', message: 'Not found' },
        });
        return;
      }
      const body = parseBody(request.body);
      const refuse = (status: number, error: string, description: string) =>
        sendJson(res, status, { error, error_description: description });
      if (!body || body.grant_type !== JWT_BEARER || typeof body.assertion !== 'string') {
        refuse(400, 'invalid_request', 'expected a JSON jwt-bearer grant with an assertion');
        return;
      }
      const rule = options.rules.find((candidate) => candidate.id === body.federation_rule_id);
      if (
        !rule ||
        rule.organizationId !== body.organization_id ||
        rule.serviceAccountId !== body.service_account_id
      ) {
        refuse(400, 'invalid_request', 'unknown federation rule, organization or service account');
        return;
      }
      const workspaces = rule.workspaces ?? ['wrkspc_default'];
      const requested = body.workspace_id;
      if (requested === undefined && workspaces.length > 1) {
        refuse(401, 'invalid_grant', 'the federation rule covers several workspaces: name one');
        return;
      }
      const workspaceId = requested ?? workspaces[0]!;
      if (!workspaces.includes(workspaceId)) {
        refuse(401, 'invalid_grant', `the federation rule is not enabled for ${workspaceId}`);
        return;
      }
      let claims: JWTPayload;
      try {
        claims = await verify(body.assertion);
      } catch (error) {
        // jose's messages name the failed check, never the token.
        refuse(
          401,
          'invalid_grant',
          `assertion rejected: ${error instanceof Error ? error.message : 'invalid'}`,
        );
        return;
      }
      const audience = rule.audience ?? DEFAULT_ANTHROPIC_FEDERATION_AUDIENCE;
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (claims.iss !== options.issuer.issuer || !audiences.includes(audience)) {
        refuse(401, 'invalid_grant', 'the assertion does not match the federation rule');
        return;
      }
      if (rule.condition && !rule.condition(claims)) {
        refuse(401, 'invalid_grant', 'the assertion does not match the federation rule');
        return;
      }
      const token = `sk-ant-oat01-${randomBytes(24).toString('base64url')}`;
      issued.push({
        token,
        expiresAt: Date.now() + expiresIn * 1000,
        ruleId: rule.id,
        workspaceId,
      });
      sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
    },
    { tls: options.tls },
  );

  const accepts = (token: string | undefined) => {
    if (token === undefined || revoked.has(token)) return false;
    const entry = issued.find((candidate) => candidate.token === token);
    return entry !== undefined && entry.expiresAt > Date.now();
  };

  return {
    ...server,
    tokenUrl: `${server.url}/v1/oauth/token`,
    issued,
    get exchanges() {
      return issued.length;
    },
    accepts,
    authorizes(request) {
      const betas = String(request.headers['anthropic-beta'] ?? '')
        .split(',')
        .map((value) => value.trim());
      return (
        request.headers['x-api-key'] === undefined &&
        betas.includes(ANTHROPIC_OAUTH_BETA) &&
        accepts(bearerOf(request))
      );
    },
    revoke: (token) => void revoked.add(token),
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
  };
}

interface GrantBody {
  grant_type?: unknown;
  assertion?: unknown;
  federation_rule_id?: unknown;
  organization_id?: unknown;
  service_account_id?: unknown;
  workspace_id?: string;
}

function parseBody(raw: Buffer): GrantBody | undefined {
  try {
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const grant = body as GrantBody & { workspace_id?: unknown };
    if (grant.workspace_id !== undefined && typeof grant.workspace_id !== 'string')
      return undefined;
    return grant;
  } catch {
    return undefined;
  }
}
