import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { ConfigError, ExchangeError } from './errors.ts';
import { readJwtClaims } from './jwt-claims.ts';
import type { Redactor } from './redaction.ts';
import { readSetting, settingLabel } from './settings.ts';
import type { Environment, Setting } from './settings.ts';

/** The runner sets both variables only for jobs with this permission. */
const PERMISSION_FIX = 'add `permissions: id-token: write` to the job (or workflow)';

/** The GitHub Actions OIDC token endpoint, set by the runner. */
export const ACTIONS_ID_TOKEN_REQUEST_URL: Setting = {
  env: 'ACTIONS_ID_TOKEN_REQUEST_URL',
  description:
    'GitHub Actions OIDC token endpoint; set by the runner when the job has `permissions: id-token: write`',
  required: true,
};

/** The bearer token for ACTIONS_ID_TOKEN_REQUEST_URL, set by the runner; valid for the whole job. */
export const ACTIONS_ID_TOKEN_REQUEST_TOKEN: Setting = {
  env: 'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  description: 'Bearer token for the OIDC token endpoint; set by the runner with the URL',
  required: true,
};

/** Hop name of GitHub OIDC minting in errors and metrics. */
export const GITHUB_OIDC_HOP = 'github-oidc';

/** Code of every minting failure. */
export const GITHUB_OIDC_ERROR_CODE = 'KEYLESS_ERR_GITHUB_OIDC';

/** Bound of one mint request, headers and body, ms. */
export const DEFAULT_MINT_TIMEOUT_MS = 10_000;

/** Largest answer read from the token service, bytes (a token is ~1 KB). */
export const MAX_MINT_ANSWER_BYTES = 64 * 1024;

/** How much of a failed answer's body an error quotes (after redaction), characters. */
const EXCERPT_CHARS = 200;

/** Validated GitHub OIDC settings. */
export interface GithubOidcConfig {
  readonly requestUrl: string;
  readonly requestToken: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Throws ConfigError naming the variable and saying to add `permissions: id-token: write` to the job when either is missing; validates the URL. */
export function parseGithubOidcConfig(env: Environment): GithubOidcConfig {
  const requestUrl = readSetting(env, ACTIONS_ID_TOKEN_REQUEST_URL);
  const requestToken = readSetting(env, ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  if (requestUrl === undefined || requestToken === undefined) {
    const missing = [
      ...(requestUrl === undefined ? [ACTIONS_ID_TOKEN_REQUEST_URL] : []),
      ...(requestToken === undefined ? [ACTIONS_ID_TOKEN_REQUEST_TOKEN] : []),
    ].map(settingLabel);
    const subject = missing.length > 1 ? `${missing.join(' and ')} are` : `${missing.join('')} is`;
    throw new ConfigError(`${subject} not set: ${PERMISSION_FIX} so that GitHub provides it`, {
      fix: PERMISSION_FIX,
    });
  }
  const label = settingLabel(ACTIONS_ID_TOKEN_REQUEST_URL);
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch (cause) {
    throw new ConfigError(`${label}: is not a valid URL`, { cause });
  }
  // The request token travels with every request: cleartext only to a local test endpoint.
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  ) {
    throw new ConfigError(
      `${label}: must be an https:// URL (http:// only on loopback), got ${url.protocol}//`,
    );
  }
  return Object.freeze({ requestUrl, requestToken });
}

/** A GitHub OIDC token, fresh from the runner's token service. */
export interface MintedIdToken {
  readonly token: string;
  /** ms epoch, from `exp` */
  readonly expiresAt: number;
  /** decoded payload, unverified */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Options of `IdTokenMinter`. */
export interface IdTokenMinterOptions {
  config: GithubOidcConfig;
  /** Receives the request token at construction and every minted token on arrival. */
  redactor: Redactor;
  /** undici dispatcher for egress (proxy, TLS); default undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Bound of one request, ms; default DEFAULT_MINT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** `{requestUrl}&audience=...`, or `?audience=` when the URL has no query yet; the existing query is kept as is. */
export function mintUrl(requestUrl: string, audience: string): string {
  const base = requestUrl.split('#', 1)[0] ?? requestUrl;
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}audience=${encodeURIComponent(audience)}`;
}

/** Retention of a handed-out value whose expiry is unknown: a GitHub token lives 5 minutes, ms. */
const MALFORMED_TOKEN_RETENTION_MS = 5 * 60_000;

interface InFlight {
  readonly promise: Promise<MintedIdToken>;
  readonly controller: AbortController;
  waiters: number;
}

/** Abort reason of a request that outlived the timeout. */
class MintTimeout extends Error {}

/** Mints GitHub Actions OIDC tokens; never caches (a token lives 5 minutes, exchanges need fresh ones). */
export class IdTokenMinter {
  readonly #config: GithubOidcConfig;
  readonly #redactor: Redactor;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #timeoutMs: number;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: IdTokenMinterOptions) {
    this.#config = options.config;
    this.#redactor = options.redactor;
    this.#dispatcher = options.dispatcher;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MINT_TIMEOUT_MS;
    this.#redactor.register(this.#config.requestToken);
  }

  /** A freshly minted token for `audience`. Concurrent calls for the same audience share one request; a call after it settled mints anew (never cached). */
  mint(audience: string, signal?: AbortSignal): Promise<MintedIdToken> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let entry = this.#inFlight.get(audience);
    if (!entry) {
      const controller = new AbortController();
      // `finally` runs before the promise settles: a call made after that mints anew.
      const promise = this.#request(audience, controller).finally(() =>
        this.#inFlight.delete(audience),
      );
      entry = { promise, controller, waiters: 0 };
      this.#inFlight.set(audience, entry);
    }
    // A caller without a signal never leaves, so it keeps the request alive.
    entry.waiters += 1;
    return signal ? this.#wait(entry, signal) : entry.promise;
  }

  /** One caller's view of a shared request: it may give up alone; the last one to leave cancels the request. */
  #wait(entry: InFlight, signal: AbortSignal): Promise<MintedIdToken> {
    return new Promise<MintedIdToken>((resolve, reject) => {
      const onAbort = () => {
        entry.waiters -= 1;
        if (entry.waiters === 0) entry.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #request(audience: string, controller: AbortController): Promise<MintedIdToken> {
    const { signal } = controller;
    const timer = setTimeout(
      () => controller.abort(new MintTimeout(`no answer within ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    try {
      // undici's `request` never follows a redirect (no redirect interceptor on any dispatcher we
      // build): a 3xx is refused below, so the request token never travels to another origin.
      const response = await request(mintUrl(this.#config.requestUrl, audience), {
        method: 'GET',
        headers: {
          authorization: `Bearer ${this.#config.requestToken}`,
          accept: 'application/json',
          'user-agent': 'keyless',
        },
        signal,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      if (response.statusCode >= 300 && response.statusCode < 400) {
        discard(response.body);
        throw this.#redirectError(response.statusCode, response.headers['location']);
      }
      let text: string;
      try {
        text = await readBounded(response.body, MAX_MINT_ANSWER_BYTES);
      } catch (cause) {
        if (signal.aborted) throw cause;
        throw this.#error(
          `GitHub OIDC token service's HTTP ${response.statusCode} answer was cut off: ${this.#redactor.describe(cause)}`,
          cause,
          {
            retryable: true,
            fix: 'the GitHub token service (or a proxy in between) dropped the connection mid-answer; retried automatically',
          },
        );
      }
      if (response.statusCode !== 200) throw this.#statusError(response.statusCode, text);
      return this.#parse(text);
    } catch (error) {
      if (error instanceof ExchangeError) throw error;
      if (signal.reason instanceof MintTimeout) {
        throw this.#error(
          `GitHub OIDC token request timed out after ${this.#timeoutMs} ms`,
          error,
          {
            retryable: true,
            fix: 'check egress to ACTIONS_ID_TOKEN_REQUEST_URL (HTTPS_PROXY / NO_PROXY); retried automatically',
          },
        );
      }
      // Every caller left (shutdown): nobody reads this error.
      if (signal.aborted) throw signal.reason;
      throw this.#error(
        `GitHub OIDC token request failed: ${this.#redactor.describe(error)}`,
        error,
        {
          retryable: true,
          fix: 'check network egress to ACTIONS_ID_TOKEN_REQUEST_URL (HTTPS_PROXY / NO_PROXY, CA certificates); retried automatically',
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #parse(text: string): MintedIdToken {
    let value: unknown;
    try {
      value = (JSON.parse(text) as { value?: unknown } | null)?.value;
    } catch {
      // Not the parser's error: V8 quotes the input in it, and the input may be a token.
      throw this.#malformed(
        'its answer is not JSON',
        new SyntaxError(`a ${text.length}-character body is not JSON`),
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw this.#malformed(
        'its answer has no string `value`',
        new TypeError(`value is ${typeof value}`),
      );
    }
    let decoded;
    try {
      decoded = readJwtClaims(value);
    } catch (cause) {
      // Whatever it is, it was handed out as a token: never let it reach output.
      this.#redactor.register(value, { expiresAt: Date.now() + MALFORMED_TOKEN_RETENTION_MS });
      throw this.#malformed('its `value` is not a JWT', cause);
    }
    // Kept until its `exp` (then the redactor's retention window), or as long as a GitHub token can live.
    this.#redactor.register(value, {
      expiresAt: decoded.expiresAt ?? Date.now() + MALFORMED_TOKEN_RETENTION_MS,
    });
    if (decoded.expiresAt === undefined) {
      throw this.#malformed(
        'its token has no `exp` claim',
        new TypeError(`exp is ${typeof decoded.claims['exp']}`),
      );
    }
    return Object.freeze({ token: value, expiresAt: decoded.expiresAt, claims: decoded.claims });
  }

  #redirectError(status: number, location: string | string[] | undefined): ExchangeError {
    const target = redirectTarget(location);
    return this.#error(
      `GitHub OIDC token service answered HTTP ${status}, a redirect${target ? ` to ${this.#redactor.remoteText(target, EXCERPT_CHARS)}` : ''}: refused, the request token is only ever sent to ACTIONS_ID_TOKEN_REQUEST_URL`,
      new Error(`HTTP ${status}`),
      {
        retryable: true,
        fix: 'ACTIONS_ID_TOKEN_REQUEST_URL must be the runner-provided token endpoint, reached without a redirecting proxy in between',
      },
    );
  }

  #statusError(status: number, body: string): ExchangeError {
    const message = `GitHub OIDC token service answered HTTP ${status}${excerpt(this.#redactor.remoteText(body, EXCERPT_CHARS))}`;
    const cause = new Error(`HTTP ${status}`);
    if (status === 401 || status === 403) {
      return this.#error(`${message}: the request token was rejected`, cause, {
        retryable: false,
        fix: `${PERMISSION_FIX}; ACTIONS_ID_TOKEN_REQUEST_TOKEN must come from the running job`,
      });
    }
    const retryable = status >= 500 || status === 429 || status === 408;
    return this.#error(message, cause, {
      retryable,
      fix: retryable
        ? 'the GitHub token service is failing; retried automatically'
        : 'check ACTIONS_ID_TOKEN_REQUEST_URL and the requested audience (AWF_AUTH_OIDC_AUDIENCE)',
    });
  }

  #malformed(problem: string, cause: unknown): ExchangeError {
    return this.#error(`GitHub OIDC token service answered malformed: ${problem}`, cause, {
      retryable: false,
      fix: 'ACTIONS_ID_TOKEN_REQUEST_URL must be the runner-provided token endpoint answering {"value": "<jwt>"}',
    });
  }

  #error(
    message: string,
    cause: unknown,
    options: { retryable: boolean; fix: string },
  ): ExchangeError {
    return new ExchangeError(GITHUB_OIDC_ERROR_CODE, GITHUB_OIDC_HOP, message, {
      ...options,
      cause,
    });
  }
}

/** ` (text)`, or nothing for an empty text. */
function excerpt(line: string): string {
  return line ? ` (${line})` : '';
}

/** The origin a redirect points to (never its path or query, which may carry anything). */
function redirectTarget(location: string | string[] | undefined): string | undefined {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return 'an unparsable location';
  }
}

type Body = Dispatcher.ResponseData['body'];

/** Drops a body we will not read; destroying it emits an error nobody else listens to. */
function discard(body: Body): void {
  body.on('error', () => {});
  body.destroy();
}

/** The body as text, at most `limit` bytes; the rest is discarded (never buffered). */
async function readBounded(body: Body, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk.subarray(0, limit - size));
    size += chunk.length;
    if (size >= limit) {
      discard(body);
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
