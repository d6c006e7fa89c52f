import { KeylessError, presentedClaims, settingLabel } from '@keyless/auth-core';
import type { AzureConfig } from './azure-config.ts';
import {
  AZURE_AUTHORITY_HOST,
  AZURE_CLIENT_ID,
  AZURE_CLOUD,
  AZURE_CLOUD_PROFILES,
  AZURE_SCOPE,
  AZURE_TENANT_ID,
} from './azure-settings.ts';
import {
  ApplicationNotFoundError,
  AssertionExpiredError,
  ClientCredentialRejectedError,
  EntraBadResponseError,
  EntraRedirectRefusedError,
  EntraRejectedError,
  EntraServerError,
  EntraUnreachableError,
  FederatedCredentialMismatchError,
  InvalidScopeError,
  TenantNotFoundError,
  type EntraError,
  type EntraFailure,
} from './errors.ts';
import type { WireRecord } from './wire-policy.ts';

/** What the mapping knows besides the SDK error. */
export interface EntraErrorContext {
  readonly config: AzureConfig;
  /** The GitHub token that was presented; only its iss/sub/aud claims are read, for the fix. */
  readonly assertion?: string;
  /** The SDK's last HTTP exchange (see createWirePolicy). */
  readonly wire?: WireRecord;
  /** The proxy the calls to the authority went through (`AcquireContext.egress`); named by host only. */
  readonly proxyUrl?: string;
  /** The core's redact-then-bound path (`AcquireContext.remoteText`) for every remote text quoted. */
  readonly remoteText: (value: unknown, maxChars?: number) => string;
}

/** An EntraFailure plus Entra's own one-line description and the SDK's error code. */
export interface EntraFailureDetails extends EntraFailure {
  /** Entra's error_description, first line, without trace/correlation ids. */
  readonly description?: string;
  /** MSAL / SDK error code, e.g. `network_error` or `endpoints_resolution_error`. */
  readonly sdkCode?: string;
}

const FEDERATION_MISMATCH = new Set(['70021', '700211', '700212', '700213', '70025']);
const CLIENT_REJECTED = new Set(['7000215', '7000216', '7000222']);
const INVALID_SCOPE = new Set(['70011', '1002012', '500011']);
const TENANT_NOT_FOUND = new Set(['90002', '900023']);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/i;

/**
 * Turns what `ClientAssertionCredential.getToken` threw (MSAL ServerError / ClientAuthError wrapped in
 * AuthenticationRequiredError or CredentialUnavailableError, or an AuthenticationError) into a typed
 * EntraError with a one-line fix. A KeylessError found in the cause chain is returned as is.
 */
export function mapEntraError(error: unknown, context: EntraErrorContext): KeylessError {
  const keyless = findInChain(error, (e) => e instanceof KeylessError);
  if (keyless instanceof KeylessError) return keyless;

  const described = describeEntraFailure(error, context.wire, context.remoteText);
  // Entra's description is remote text: redacted, then bounded, before it is kept or quoted.
  const failure: EntraFailureDetails =
    described.description === undefined
      ? described
      : { ...described, description: context.remoteText(described.description, 400) };
  const { config, wire } = context;
  if (wire?.status !== undefined && wire.status >= 300 && wire.status < 400) {
    // The other host's answer is not Entra's: only the redirect itself is reported.
    const target = wire.redirectTo ? ` to ${context.remoteText(wire.redirectTo)}` : '';
    return new EntraRedirectRefusedError(
      `Entra at ${config.authorityHost} answered HTTP ${wire.status} (${wire.path}), a redirect${target}: refused, the GitHub token is never sent to another host`,
      {
        cause: error,
        failure,
        fix: `set ${settingLabel(AZURE_AUTHORITY_HOST)} to the final authority host, or remove the proxy or portal in between that redirects`,
      },
    );
  }
  const code = failure.aadsts?.replace(/^AADSTS/, '');
  const said =
    context.remoteText(failure.description ?? failure.aadsts ?? failure.oauthError ?? '', 400) ||
    undefined;
  const refused = `Entra refused the token for app ${config.clientId} in tenant ${config.tenantId}: ${said ?? `HTTP ${failure.httpStatus}`}`;
  const options = { cause: error, failure };

  if (code && FEDERATION_MISMATCH.has(code)) {
    const claims = assertionClaims(context.assertion, config.audience);
    return new FederatedCredentialMismatchError(refused, {
      ...options,
      fix:
        `no federated credential matches: register issuer ${claims.iss}, subject ${claims.sub}, ` +
        `audience ${claims.aud} on app ${config.clientId} (tenant ${config.tenantId})`,
    });
  }
  if (code === '700016') {
    return new ApplicationNotFoundError(refused, {
      ...options,
      fix:
        `no application ${config.clientId} in tenant ${config.tenantId} at ${config.authorityHost}: check ` +
        `${settingLabel(AZURE_CLIENT_ID)}, ${settingLabel(AZURE_TENANT_ID)} and ${settingLabel(AZURE_CLOUD)}`,
    });
  }
  if (code === '700024') {
    return new AssertionExpiredError(refused, {
      ...options,
      fix: "Entra saw the GitHub token outside its validity window: check the runner's clock (NTP); every exchange mints a fresh token",
    });
  }
  if ((code && TENANT_NOT_FOUND.has(code)) || failure.oauthError === 'invalid_tenant') {
    return new TenantNotFoundError(refused, {
      ...options,
      fix:
        `tenant ${config.tenantId} does not exist at ${config.authorityHost}: check ${settingLabel(AZURE_TENANT_ID)} ` +
        `and ${settingLabel(AZURE_CLOUD)}`,
    });
  }
  if (
    (code && INVALID_SCOPE.has(code)) ||
    failure.oauthError === 'invalid_scope' ||
    failure.oauthError === 'invalid_resource'
  ) {
    return new InvalidScopeError(refused, {
      ...options,
      fix:
        `set ${settingLabel(AZURE_SCOPE)} to a "<resource>/.default" scope known to tenant ${config.tenantId} ` +
        `(e.g. ${AZURE_CLOUD_PROFILES[config.cloud].scope}); it is ${config.scope}`,
    });
  }
  if ((code && CLIENT_REJECTED.has(code)) || failure.oauthError === 'invalid_client') {
    const claims = assertionClaims(context.assertion, config.audience);
    return new ClientCredentialRejectedError(refused, {
      ...options,
      fix:
        `app ${config.clientId} does not accept the federated GitHub token (Keyless sends no secret): add a federated ` +
        `credential with issuer ${claims.iss}, subject ${claims.sub}, audience ${claims.aud}`,
    });
  }
  return classifyTransport(failure, context, refused, error);
}

function classifyTransport(
  failure: EntraFailureDetails,
  context: EntraErrorContext,
  refused: string,
  error: unknown,
): EntraError {
  const { config, wire } = context;
  const options = { cause: error, failure };
  const status = failure.httpStatus;
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new EntraServerError(`Entra at ${config.authorityHost} answered HTTP ${status}`, {
      ...options,
      fix: `Entra at ${config.authorityHost} is failing (HTTP ${status}); transient: the exchange is retried with backoff`,
    });
  }
  const proxyUrl = context.proxyUrl;
  const via = proxyUrl === undefined ? '' : ` through proxy ${new URL(proxyUrl).host}`;
  if (wire?.status !== undefined && wire.json === false) {
    // An answer arrived: whatever MSAL calls it, this is not a network failure.
    const kind = wire.contentType ? `, ${wire.contentType}` : '';
    return new EntraBadResponseError(
      `Entra at ${config.authorityHost} answered HTTP ${wire.status} (${wire.path}) with a body that is not valid JSON${kind}`,
      {
        ...options,
        fix: `check that ${config.authorityHost} is Entra and that no proxy or portal${via} rewrites its answers`,
      },
    );
  }
  if (failure.networkCode !== undefined || (status === undefined && wire?.error !== undefined)) {
    const reason = failure.networkCode ?? failure.sdkCode ?? 'network error';
    const tls = TLS_CODE.test(reason);
    return new EntraUnreachableError(
      `cannot reach Entra at ${config.authorityHost}${via}: ${reason}`,
      {
        ...options,
        fix: tls
          ? `the TLS certificate of ${config.authorityHost} is not trusted: add its CA to NODE_EXTRA_CA_CERTS`
          : `allow egress to ${config.authorityHost}${via} (HTTPS_PROXY / NO_PROXY), or check the authority host`,
      },
    );
  }
  if (wire?.status !== undefined && wire.status < 300) {
    const kind = wire.contentType ? ` (${wire.contentType})` : '';
    return new EntraBadResponseError(
      `Entra at ${config.authorityHost} sent an unreadable answer${kind}`,
      {
        ...options,
        fix: `check that ${config.authorityHost} is Entra and that no proxy or portal${via} rewrites its answers`,
      },
    );
  }
  if (status !== undefined) {
    const code = failure.aadsts?.replace(/^AADSTS/, '');
    return new EntraRejectedError(refused, {
      ...options,
      retryable: status < 400 || status >= 500,
      fix: wire?.path.endsWith('/openid-configuration')
        ? `${config.authorityHost} serves no OpenID metadata for tenant ${config.tenantId}: check ` +
          `${settingLabel(AZURE_AUTHORITY_HOST)}, ${settingLabel(AZURE_CLOUD)} and ${settingLabel(AZURE_TENANT_ID)}`
        : code
          ? `look up ${failure.aadsts} at https://login.microsoftonline.com/error?code=${code} and fix the app or federated credential`
          : 'run keyless doctor to check the azure configuration',
    });
  }
  const reason = failure.sdkCode ?? context.remoteText(error);
  return new EntraRejectedError(`Entra token request failed: ${reason}`, {
    ...options,
    retryable: true,
    fix: 'run keyless doctor to check the azure configuration and the egress to Entra',
  });
}

/** Remote text redacted and flattened to one line, not yet cut: the description is cut once, at the end. */
const UNCUT = Number.MAX_SAFE_INTEGER;

/**
 * Collects the AADSTS code, OAuth error, HTTP status and transport code from an SDK error and the
 * wire. Entra's descriptions are passed through `remoteText` (redacted, one line) before the trace
 * ids are cut off, so that no cut can split a secret the redactor would have recognised.
 */
export function describeEntraFailure(
  error: unknown,
  wire: WireRecord | undefined,
  remoteText: EntraErrorContext['remoteText'],
): EntraFailureDetails {
  let aadsts: string | undefined;
  let oauthError: string | undefined;
  let httpStatus: number | undefined;
  let networkCode: string | undefined;
  let description: string | undefined;
  let sdkCode: string | undefined;
  const texts: string[] = [];

  const body = parseErrorBody(wire?.errorBody, remoteText);
  if (body) {
    oauthError = body.error;
    description = body.description;
    aadsts = body.code;
  }
  if (wire?.status !== undefined && wire.status >= 400) httpStatus = wire.status;

  for (const link of [...causeChain(error), ...causeChain(wire?.error)]) {
    const number = link['errorNo'];
    if ((typeof number === 'string' && /^\d+$/.test(number)) || typeof number === 'number') {
      aadsts ??= `AADSTS${number}`;
    }
    const errorCode =
      typeof link['errorCode'] === 'string' && link['errorCode'] ? link['errorCode'] : undefined;
    if (errorCode && link['name'] === 'ServerError') oauthError ??= errorCode;
    else if (errorCode) sdkCode ??= errorCode;
    for (const key of ['status', 'statusCode']) {
      const value = link[key];
      if (typeof value === 'number' && value >= 400) httpStatus ??= value;
    }
    const response = link['errorResponse'];
    if (isRecord(response)) {
      if (typeof response['error'] === 'string') oauthError ??= response['error'];
      if (typeof response['errorDescription'] === 'string')
        texts.push(response['errorDescription']);
    }
    if (typeof link['code'] === 'string' && link['code']) networkCode ??= link['code'];
    if (typeof link['message'] === 'string') texts.push(link['message']);
  }
  for (const text of texts) {
    const code = /AADSTS(\d+):/.exec(text)?.[1];
    if (code === undefined) continue;
    aadsts ??= `AADSTS${code}`;
    const redacted = remoteText(text, UNCUT);
    const at = redacted.indexOf(`AADSTS${code}:`);
    description ??= cleanDescription(at < 0 ? redacted : redacted.slice(at));
  }
  return {
    ...(aadsts === undefined ? {} : { aadsts }),
    ...(oauthError === undefined ? {} : { oauthError }),
    ...(httpStatus === undefined ? {} : { httpStatus }),
    ...(networkCode === undefined ? {} : { networkCode }),
    ...(description === undefined ? {} : { description }),
    ...(sdkCode === undefined ? {} : { sdkCode }),
  };
}

function parseErrorBody(
  body: string | undefined,
  remoteText: EntraErrorContext['remoteText'],
): { error?: string; description?: string; code?: string } | undefined {
  if (!body) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const codes = parsed['error_codes'];
  const first: unknown = Array.isArray(codes) ? codes[0] : undefined;
  const text =
    typeof parsed['error_description'] === 'string' ? parsed['error_description'] : undefined;
  const fromText = text === undefined ? undefined : /AADSTS(\d+)/.exec(text)?.[1];
  const number = typeof first === 'number' || typeof first === 'string' ? String(first) : fromText;
  return {
    ...(typeof parsed['error'] === 'string' ? { error: parsed['error'] } : {}),
    ...(text === undefined ? {} : { description: cleanDescription(remoteText(text, UNCUT)) }),
    ...(number === undefined ? {} : { code: `AADSTS${number}` }),
  };
}

/**
 * An Entra description (already redacted and on one line) without the trace/correlation ids and
 * timestamps Entra appends after it. Never cut here: mapEntraError bounds it (remoteText).
 */
function cleanDescription(redacted: string): string {
  const cut = redacted.split(/\s*(?:Trace ID|Correlation ID|Timestamp):/)[0] ?? redacted;
  return cut.replace(/\s*-\s*$/, '').trim();
}

/** The iss/sub/aud of the presented GitHub token, for the fix (never the token itself). */
function assertionClaims(
  assertion: string | undefined,
  audience: string,
): { iss: string; sub: string; aud: string } {
  const { iss, sub, aud } = presentedClaims(assertion);
  return {
    iss: iss ?? 'https://token.actions.githubusercontent.com',
    sub: sub ?? "<the job's GitHub token subject>",
    aud: aud ?? audience,
  };
}

function causeChain(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (
    let link = error;
    isRecord(link) && chain.length < 8 && !chain.includes(link);
    link = link['cause']
  ) {
    chain.push(link);
  }
  return chain;
}

function findInChain(error: unknown, test: (link: unknown) => boolean): unknown {
  return causeChain(error).find(test);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
