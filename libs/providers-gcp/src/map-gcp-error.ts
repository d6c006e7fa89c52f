import { KeylessError, presentedClaims } from '@keyless/auth-core';
import { GCP_STS_HOP, type GcpHop } from './gcp-hops.ts';
import type { GcpConfig } from './gcp-config.ts';
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
  type GcpErrorDetails,
} from './errors.ts';
import { defaultOidcAudience, poolPrincipalSet } from './workload-identity-provider.ts';

interface HttpFailure {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly config?: { readonly url?: unknown };
  readonly response?: {
    readonly status?: unknown;
    readonly data?: unknown;
    readonly headers?: unknown;
  };
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Remote text made safe for an error message: redacted, then one bounded line (`AcquireContext.remoteText`). */
export type RemoteText = (value: unknown, maxChars?: number) => string;

interface RemoteError {
  /** OAuth `error` (STS) or Google `status` (IAM), e.g. `invalid_grant`, `PERMISSION_DENIED`. */
  readonly kind: string | undefined;
  readonly reason: string | undefined;
  /** Machine reasons of Google's ErrorInfo details, e.g. `SERVICE_DISABLED`. */
  readonly infoReasons: readonly string[];
}

/** Reads an STS OAuth error (`{error, error_description}`) or a Google API error (`{error: {code, message, status}}`). */
function readRemoteError(data: unknown, oneLine: RemoteText): RemoteError {
  const body = asRecord(data);
  const error = body?.error;
  if (typeof error === 'string') {
    const description = asString(body?.error_description);
    return {
      kind: error,
      reason: oneLine(description ? `${error}: ${description}` : error),
      infoReasons: [],
    };
  }
  const google = asRecord(error);
  if (google) {
    const status = asString(google.status);
    const message = asString(google.message) ?? '';
    const details = Array.isArray(google.details) ? google.details : [];
    const infoReasons = details
      .map((detail) => asString(asRecord(detail)?.reason))
      .filter((r) => r !== undefined);
    return {
      kind: status,
      reason: oneLine(status ? `${status}: ${message}` : message),
      infoReasons,
    };
  }
  if (typeof data === 'string' && data.trim())
    return { kind: undefined, reason: oneLine(data), infoReasons: [] };
  return { kind: undefined, reason: undefined, infoReasons: [] };
}

/** The innermost system error code (ECONNREFUSED, ENOTFOUND, TimeoutError, ...) of an error chain. */
function networkDetail(error: unknown, oneLine: RemoteText): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  let detail: string | undefined;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const failure = current as HttpFailure;
    const code =
      asString(failure.code) ?? (failure.name === 'TimeoutError' ? 'TimeoutError' : undefined);
    if (code) detail = code;
    current = failure.cause;
  }
  return detail ?? oneLine(error);
}

/** The origin a 3xx answer points to (never its path or query, which may carry anything). */
function redirectOrigin(headers: unknown, oneLine: RemoteText): string | undefined {
  // A WHATWG Headers, though not necessarily this realm's (undici's own fetch builds its own).
  const get = asRecord(headers)?.get;
  const location =
    typeof get === 'function'
      ? asString(get.call(headers, 'location'))
      : asString(asRecord(headers)?.location);
  if (!location) return undefined;
  try {
    return oneLine(new URL(location).origin);
  } catch {
    return 'an unparsable location';
  }
}

function endpointOf(failure: HttpFailure | undefined, hop: GcpHop, config: GcpConfig): string {
  const url = failure?.config?.url;
  const raw = url instanceof URL ? url.href : asString(url);
  const fallback = hop === GCP_STS_HOP ? config.tokenUrl : config.iamCredentialsUrl;
  try {
    return new URL(raw ?? fallback).origin;
  } catch {
    return fallback;
  }
}

/** Where the failure happened, so that the mapping can pick the right error. */
export interface GcpFailureContext {
  /** The hop in flight when the failure happened. */
  readonly hop: GcpHop;
  readonly config: GcpConfig;
  /** True when the acquisition was cancelled. */
  readonly aborted?: boolean;
  /** The GitHub token that was presented; only its sub/repository claims are read, for the fix. */
  readonly assertion?: string;
  /** The core's redact-then-bound path for every remote text quoted. */
  readonly remoteText: RemoteText;
}

/**
 * Maps what google-auth-library throws (gaxios errors, or STS errors re-thrown
 * as plain Errors carrying `response.data`) to a typed error with a fix.
 * KeylessErrors (e.g. from minting the GitHub token) pass through unchanged.
 */
export function mapGcpError(
  error: unknown,
  { hop, config, aborted = false, assertion, remoteText: oneLine }: GcpFailureContext,
): KeylessError {
  if (error instanceof KeylessError) return error;
  const failure = asRecord(error) as HttpFailure | undefined;
  const response = failure?.response;
  if (aborted || (response === undefined && failure?.code === 'AbortError')) {
    return new GcpAbortedError(hop, { cause: error });
  }
  if (response === undefined) {
    // A gaxios error without an answer is a network failure; anything else is unexpected.
    if (failure?.config !== undefined) {
      const detail = networkDetail(error, oneLine);
      return new GcpUnreachableError(hop, endpointOf(failure, hop, config), {
        reason: detail ? oneLine(detail) : undefined,
        cause: error,
      });
    }
    return new GcpExchangeFailedError(hop, { reason: oneLine(error), cause: error });
  }

  const status = typeof response.status === 'number' ? response.status : 0;
  if (status >= 300 && status < 400) {
    // The other host's answer is not GCP's: only the redirect itself is reported.
    return new GcpRedirectRefusedError(
      hop,
      endpointOf(failure, hop, config),
      redirectOrigin(response.headers, oneLine),
      {
        upstreamStatus: status,
        cause: error,
      },
    );
  }
  const remote = readRemoteError(response.data, oneLine);
  const details: GcpErrorDetails = {
    reason: remote.reason ?? `HTTP ${status}`,
    upstreamStatus: status,
    cause: error,
  };
  const text = remote.reason ?? '';

  if (status >= 500 || status === 429) return new GcpUnavailableError(hop, details);
  if (
    remote.infoReasons.includes('SERVICE_DISABLED') ||
    /has not been used in project|it is disabled/i.test(text)
  ) {
    const project = /project[s/ ]+(\d+)/i.exec(text)?.[1] ?? config.provider.projectNumber;
    return new GcpApiDisabledError(hop, project, details);
  }
  if (hop === GCP_STS_HOP) {
    if (remote.kind === 'invalid_target')
      return new GcpProviderNotFoundError(config.provider.resource, details);
    if (/attribute condition/i.test(text))
      return new GcpAttributeConditionError(presentedClaims(assertion), details);
    if (remote.kind === 'invalid_grant' && /\baudience\b/i.test(text)) {
      return new GcpAudienceMismatchError(
        config.oidcAudience,
        defaultOidcAudience(config.provider),
        details,
      );
    }
    if (remote.kind === 'invalid_grant') return new GcpInvalidGrantError(details);
    return new GcpRejectedError(hop, details);
  }
  const serviceAccount = config.serviceAccount ?? '(no service account)';
  if (status === 403 || remote.kind === 'PERMISSION_DENIED') {
    return new GcpImpersonationDeniedError(
      serviceAccount,
      poolPrincipalSet(config.provider),
      presentedClaims(assertion).repository,
      details,
    );
  }
  if (status === 404 || remote.kind === 'NOT_FOUND')
    return new GcpServiceAccountNotFoundError(serviceAccount, details);
  return new GcpRejectedError(hop, details);
}
