import { randomBytes } from 'node:crypto';
import { bearerOf, pathOf, sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer, RecordedRequest } from './fake-server.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';

/** Lifetime of an access token when none is set, seconds. */
export const DEFAULT_TEST_TOKEN_EXPIRES_IN = 3600;

/** Options of `startTestTokenService`. */
export interface TestTokenServiceOptions {
  /** Verifies the GitHub token sent as `subject_token`. */
  readonly issuer: Pick<GithubOidcIssuer, 'verify'>;
  /** Lifetime of the access tokens, seconds (default 3600). */
  readonly expiresIn?: number;
}

/** One access token the service issued. */
export interface IssuedTestToken {
  readonly token: string;
  /** ms epoch */
  readonly expiresAt: number;
}

/**
 * The fake token service behind the test-only provider plugin
 * (`AWF_AUTH_PROVIDER=test`): `POST /token {subject_token, audience}` ->
 * `{access_token, token_type, expires_in}` once the subject token verifies.
 */
export interface TestTokenService extends FakeServer {
  /** The AWF_AUTH_TEST_TOKEN_URL value. */
  readonly tokenUrl: string;
  /** Every access token issued, in order (for canary scans). */
  readonly issued: IssuedTestToken[];
  /** Answers still held back by `hold()`. */
  readonly held: number;
  /** True when `token` was issued here, is not revoked and has not expired. */
  accepts(token: string | undefined): boolean;
  /** `accepts` applied to a request's `Authorization: Bearer` value (a fake upstream's `authorize`). */
  authorizes(request: RecordedRequest): boolean;
  /** Makes an issued token unacceptable from now on. */
  revoke(token: string): void;
  /** Changes the lifetime of later tokens, seconds. */
  setExpiresIn(seconds: number): void;
  /** Holds back every later `/token` answer until `release()`: an exchange that hangs. */
  hold(): void;
  /** Lets every held answer go and stops holding. */
  release(): void;
}

/** Starts the fake token service on 127.0.0.1 (faults via the base's `inject`). */
export async function startTestTokenService(
  options: TestTokenServiceOptions,
): Promise<TestTokenService> {
  let expiresIn = options.expiresIn ?? DEFAULT_TEST_TOKEN_EXPIRES_IN;
  const issued: IssuedTestToken[] = [];
  const revoked = new Set<string>();
  let holding = false;
  let held: Array<() => void> = [];

  const release = () => {
    holding = false;
    const waiting = held;
    held = [];
    for (const resume of waiting) resume();
  };

  const server = await startFakeServer(async (request, res) => {
    if (request.method !== 'POST' || pathOf(request.url) !== '/token') {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    if (holding) await new Promise<void>((resume) => held.push(resume));
    const body = parseBody(request.body);
    if (!body) {
      sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'expected JSON {subject_token, audience}',
      });
      return;
    }
    try {
      await options.issuer.verify(body.subject_token, { audience: body.audience });
    } catch (error) {
      // jose's messages name the failed check, never the token.
      const reason = error instanceof Error ? error.message : String(error);
      sendJson(res, 401, {
        error: 'invalid_grant',
        error_description: `subject token rejected: ${reason}`,
      });
      return;
    }
    const token = `test-access-${randomBytes(24).toString('base64url')}`;
    issued.push({ token, expiresAt: Date.now() + expiresIn * 1000 });
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  });

  const accepts = (token: string | undefined) => {
    if (token === undefined || revoked.has(token)) return false;
    const entry = issued.find((candidate) => candidate.token === token);
    return entry !== undefined && entry.expiresAt > Date.now();
  };

  return {
    ...server,
    tokenUrl: `${server.url}/token`,
    issued,
    get held() {
      return held.length;
    },
    accepts,
    authorizes: (request) => accepts(bearerOf(request)),
    revoke: (token) => void revoked.add(token),
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    hold() {
      holding = true;
    },
    release,
    async close() {
      release();
      await server.close();
    },
  };
}

function parseBody(raw: Buffer): { subject_token: string; audience: string } | undefined {
  try {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
    if (typeof body?.subject_token !== 'string' || typeof body.audience !== 'string')
      return undefined;
    return { subject_token: body.subject_token, audience: body.audience };
  } catch {
    return undefined;
  }
}
