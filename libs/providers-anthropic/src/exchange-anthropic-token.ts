import { readJwtClaims, settingLabel, type AcquireContext } from '@keyless/auth-core';
import { request } from 'undici';
import { OAUTH_BETA, FEDERATION_BETA } from './anthropic-beta.ts';
import type { AnthropicConfig } from './anthropic-config.ts';
import {
  ANTHROPIC_AUDIENCE,
  ANTHROPIC_FEDERATION_RULE_ID,
  ANTHROPIC_ORGANIZATION_ID,
  ANTHROPIC_SERVICE_ACCOUNT_ID,
  ANTHROPIC_TOKEN_URL,
  ANTHROPIC_WORKSPACE_ID,
} from './anthropic-settings.ts';
import { AnthropicExchangeError } from './errors.ts';

/** RFC 7523 grant type of the exchange. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Bound of one exchange, ms (the token endpoint answers in well under a second). */
export const ANTHROPIC_EXCHANGE_TIMEOUT_MS = 30_000;

/** Bytes of an answer read at most: a token answer is a few hundred. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** What one exchange produced; `expiresAt` in ms epoch. */
export interface AnthropicToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

/** What the exchange uses of the AcquireContext. */
export type ExchangeContext = Pick<
  AcquireContext,
  'signal' | 'egress' | 'registerSecret' | 'remoteText'
>;

/** Seam of the plugin: one jwt-bearer exchange of the GitHub token `assertion`. */
export type AnthropicTokenExchange = (
  assertion: string,
  config: AnthropicConfig,
  context: ExchangeContext,
) => Promise<AnthropicToken>;

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/i;

/**
 * `POST {tokenUrl}` with `{grant_type, assertion, federation_rule_id,
 * organization_id, service_account_id[, workspace_id]}` as JSON through the
 * core's egress, never following a redirect; the answer is
 * `{access_token, token_type: "Bearer", expires_in}`. The access token is
 * registered before anything else is done with the answer.
 */
export const exchangeAnthropicToken: AnthropicTokenExchange = async (
  assertion,
  config,
  context,
) => {
  const body: Record<string, string> = {
    grant_type: JWT_BEARER_GRANT,
    assertion,
    federation_rule_id: config.federationRuleId,
    organization_id: config.organizationId,
    service_account_id: config.serviceAccountId,
  };
  if (config.workspaceId !== undefined) body.workspace_id = config.workspaceId;

  let status: number;
  let text: string;
  let location: string | undefined;
  try {
    // undici's request never follows redirects: a 3xx comes back as an answer and is refused below.
    const answer = await request(config.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'anthropic-beta': `${OAUTH_BETA},${FEDERATION_BETA}`,
        'user-agent': 'keyless',
      },
      body: JSON.stringify(body),
      dispatcher: context.egress.dispatcher,
      signal: AbortSignal.any([context.signal, AbortSignal.timeout(ANTHROPIC_EXCHANGE_TIMEOUT_MS)]),
    });
    status = answer.statusCode;
    const header = answer.headers.location;
    location = Array.isArray(header) ? header[0] : header;
    text = await readBounded(answer.body);
  } catch (error) {
    context.signal.throwIfAborted();
    throw unreachable(error, config, context);
  }

  if (status >= 300 && status < 400) {
    const to = location ? ` to ${context.remoteText(location)}` : '';
    throw new AnthropicExchangeError(
      'redirect',
      `the token endpoint ${config.tokenUrl} answered HTTP ${status}, a redirect${to}: refused, the GitHub token is never sent to another URL`,
      {
        upstreamStatus: status,
        fix: `set ${settingLabel(ANTHROPIC_TOKEN_URL)} to the final token URL, or remove the proxy or portal in between that redirects`,
      },
    );
  }
  const parsed = parseJson(text);
  if (status !== 200) throw refused(status, parsed, assertion, config, context);
  return acceptToken(parsed, status, config, context);
};

/** Checks a 200 answer; registers the access token the moment it is seen. */
function acceptToken(
  parsed: unknown,
  status: number,
  config: AnthropicConfig,
  context: ExchangeContext,
): AnthropicToken {
  const fix = `check that ${config.tokenUrl} is Anthropic's token endpoint and that nothing in between rewrites its answers`;
  if (!isRecord(parsed)) {
    throw new AnthropicExchangeError(
      'badAnswer',
      `the token endpoint ${config.tokenUrl} answered HTTP ${status} with a body that is not a JSON object`,
      { upstreamStatus: status, fix },
    );
  }
  const accessToken = parsed.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new AnthropicExchangeError(
      'badAnswer',
      `the token endpoint ${config.tokenUrl} answered without an access_token`,
      { upstreamStatus: status, fix },
    );
  }
  context.registerSecret(accessToken);
  const tokenType = parsed.token_type;
  if (tokenType !== undefined && String(tokenType).toLowerCase() !== 'bearer') {
    throw new AnthropicExchangeError(
      'badAnswer',
      `the token endpoint ${config.tokenUrl} answered token_type ${context.remoteText(tokenType, 40)}, not Bearer`,
      { upstreamStatus: status, fix },
    );
  }
  const expiresIn = parsed.expires_in;
  // Without a lifetime the core could only guess when to refresh: refuse rather than assume one.
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new AnthropicExchangeError(
      'badAnswer',
      `the token endpoint ${config.tokenUrl} answered without a positive expires_in`,
      { upstreamStatus: status, fix },
    );
  }
  return { accessToken, expiresAt: Date.now() + expiresIn * 1000 };
}

/** A non-200, non-3xx answer: Anthropic refused, or the endpoint is failing. */
function refused(
  status: number,
  parsed: unknown,
  assertion: string,
  config: AnthropicConfig,
  context: ExchangeContext,
): AnthropicExchangeError {
  const reason = remoteReason(parsed, context);
  const said = `the token endpoint ${config.tokenUrl} answered HTTP ${status}${reason ? `: ${reason}` : ''}`;
  const options = { upstreamStatus: status };
  if (status >= 500 || status === 429) {
    return new AnthropicExchangeError('server', said, {
      ...options,
      fix: `Anthropic's token endpoint is failing (HTTP ${status}); transient: the exchange is retried with backoff`,
    });
  }
  if (status === 404) {
    return new AnthropicExchangeError('notFound', said, {
      ...options,
      fix: `${config.tokenUrl} is not a token endpoint: unset ${settingLabel(ANTHROPIC_TOKEN_URL)} or point it at .../v1/oauth/token`,
    });
  }
  if (status === 401 || status === 403 || /invalid_grant|unauthorized/i.test(reason)) {
    const claims = githubClaims(assertion, config.audience);
    const workspace =
      config.workspaceId === undefined
        ? `; if the rule covers several workspaces, set ${settingLabel(ANTHROPIC_WORKSPACE_ID)}`
        : '';
    return new AnthropicExchangeError('rejected', said, {
      ...options,
      fix:
        `federation rule ${config.federationRuleId} must accept issuer ${claims.iss}, subject ${claims.sub} and audience ${claims.aud} ` +
        `(${settingLabel(ANTHROPIC_AUDIENCE)}) for service account ${config.serviceAccountId}${workspace}; ` +
        'the Workload identity page of the Claude Console lists each refused attempt',
    });
  }
  return new AnthropicExchangeError('invalid', said, {
    ...options,
    fix:
      `check ${settingLabel(ANTHROPIC_FEDERATION_RULE_ID)}, ${settingLabel(ANTHROPIC_ORGANIZATION_ID)}, ` +
      `${settingLabel(ANTHROPIC_SERVICE_ACCOUNT_ID)} and ${settingLabel(ANTHROPIC_WORKSPACE_ID)} against the Claude Console`,
  });
}

/** The remote error text (OAuth `error` + `error_description`, or Anthropic's `error.message`), redacted then bounded. */
function remoteReason(parsed: unknown, context: ExchangeContext): string {
  if (!isRecord(parsed)) return '';
  const parts: unknown[] = [];
  if (typeof parsed.error === 'string') parts.push(parsed.error, parsed.error_description);
  else if (isRecord(parsed.error)) parts.push(parsed.error.type, parsed.error.message);
  const text = parts.filter((part) => typeof part === 'string' && part).join(': ');
  return text ? context.remoteText(text, 400) : '';
}

function unreachable(
  error: unknown,
  config: AnthropicConfig,
  context: ExchangeContext,
): AnthropicExchangeError {
  const proxy = context.egress.proxyUrlFor(config.tokenUrl);
  const via = proxy === undefined ? '' : ` through proxy ${new URL(proxy).host}`;
  const code = errorCode(error);
  const reason =
    code ?? (error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : undefined);
  const host = new URL(config.tokenUrl).host;
  return new AnthropicExchangeError(
    'unreachable',
    `cannot reach the token endpoint ${config.tokenUrl}${via}: ${reason ?? context.remoteText(error, 200)}`,
    {
      cause: error,
      fix:
        code !== undefined && TLS_CODE.test(code)
          ? `the TLS certificate of ${host} is not trusted: add its CA to NODE_EXTRA_CA_CERTS`
          : `allow egress to ${host}${via} (HTTPS_PROXY / NO_PROXY), or check ${settingLabel(ANTHROPIC_TOKEN_URL)}`,
    },
  );
}

/** iss/sub/aud of the presented GitHub token, for the fix (never the token itself). */
function githubClaims(assertion: string, audience: string): Record<'iss' | 'sub' | 'aud', string> {
  const fallback = {
    iss: 'https://token.actions.githubusercontent.com',
    sub: "<the job's subject>",
    aud: audience,
  };
  try {
    const { claims } = readJwtClaims(assertion);
    const aud = Array.isArray(claims.aud) ? claims.aud.join(',') : claims.aud;
    return {
      iss: typeof claims.iss === 'string' ? claims.iss : fallback.iss,
      sub: typeof claims.sub === 'string' ? claims.sub : fallback.sub,
      aud: typeof aud === 'string' ? aud : fallback.aud,
    };
  } catch {
    return fallback;
  }
}

/** Reads at most MAX_ANSWER_BYTES of a body and discards the rest. */
async function readBounded(body: AsyncIterable<Uint8Array> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const piece = Buffer.from(chunk);
    chunks.push(piece.subarray(0, MAX_ANSWER_BYTES - size));
    size += piece.length;
    if (size >= MAX_ANSWER_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  for (let link = error, depth = 0; isRecord(link) && depth < 5; link = link.cause, depth += 1) {
    if (typeof link.code === 'string' && link.code) return link.code;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
