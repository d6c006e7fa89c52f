import { ExchangeError, settingLabel, type PresentedClaims } from '@keyless/auth-core';
import { GCP_IAM_HOP, GCP_STS_HOP, type GcpHop } from './gcp-hops.ts';
import {
  GCP_IAM_CREDENTIALS_URL,
  GCP_OIDC_AUDIENCE,
  GCP_SCOPE,
  GCP_SERVICE_ACCOUNT,
  GCP_TOKEN_LIFETIME,
  GCP_TOKEN_URL,
  GCP_WORKLOAD_IDENTITY_PROVIDER,
} from './gcp-settings.ts';

/** What a GCP failure carries besides code, hop and fix. */
export interface GcpErrorDetails {
  /** The remote error as sent (`invalid_grant: ...`, `PERMISSION_DENIED: ...`), one line. */
  readonly reason?: string;
  /** HTTP status of the failed hop; absent when no answer arrived. */
  readonly upstreamStatus?: number;
  readonly cause?: unknown;
}

/** Base of the GCP plugin's exchange errors: the remote reason and status, a one-line fix. */
export class GcpExchangeError extends ExchangeError {
  readonly reason: string | undefined;
  readonly upstreamStatus: number | undefined;

  constructor(
    code: string,
    hop: GcpHop,
    message: string,
    fix: string,
    retryable: boolean,
    details: GcpErrorDetails,
  ) {
    super(code, hop, details.reason ? `${message}: ${details.reason}` : message, {
      fix,
      retryable,
      cause: details.cause,
    });
    this.name = 'GcpExchangeError';
    this.reason = details.reason;
    this.upstreamStatus = details.upstreamStatus;
  }
}

/** STS `invalid_grant`: the GitHub token's `aud` is not among the provider's allowed audiences. */
export class GcpAudienceMismatchError extends GcpExchangeError {
  constructor(oidcAudience: string, defaultAudience: string, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_AUDIENCE_MISMATCH',
      GCP_STS_HOP,
      `GCP STS rejected the GitHub token's audience "${oidcAudience}"`,
      `Set ${settingLabel(GCP_OIDC_AUDIENCE)} to one of the provider's allowed audiences (a provider without that list accepts only ${defaultAudience}), or add "${oidcAudience}" to them.`,
      false,
      details,
    );
    this.name = 'GcpAudienceMismatchError';
  }
}

/** STS: the provider's attribute condition rejected the GitHub token's claims (`claims`: the presented token's, to compare). */
export class GcpAttributeConditionError extends GcpExchangeError {
  constructor(claims: PresentedClaims, details: GcpErrorDetails) {
    const seen = [
      claims.repository === undefined ? '' : `repository ${claims.repository}`,
      claims.sub === undefined ? '' : `sub ${claims.sub}`,
    ].filter(Boolean);
    super(
      'KEYLESS_ERR_GCP_ATTRIBUTE_CONDITION',
      GCP_STS_HOP,
      "The workload identity provider's attribute condition rejected the GitHub token",
      seen.length > 0
        ? `Make the provider's attribute condition accept this workflow's claims: the token has ${seen.join(', ')}.`
        : "Make the provider's attribute condition accept this workflow's claims (compare repository, ref and sub from `keyless doctor` with the condition).",
      false,
      details,
    );
    this.name = 'GcpAttributeConditionError';
  }
}

const TRANSIENT_GRANT = /expired|stale|not yet valid|future|too early/i;

/** STS `invalid_grant` for another reason (issuer, signature, expiry of the GitHub token). */
export class GcpInvalidGrantError extends GcpExchangeError {
  constructor(details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_INVALID_GRANT',
      GCP_STS_HOP,
      'GCP STS rejected the GitHub token',
      "Check the provider's issuer (https://token.actions.githubusercontent.com, or your GHES issuer) and attribute mapping; an expired token is retried with a fresh one.",
      TRANSIENT_GRANT.test(details.reason ?? ''),
      details,
    );
    this.name = 'GcpInvalidGrantError';
  }
}

/** STS `invalid_target`: the pool or provider does not exist, or is disabled or deleted. */
export class GcpProviderNotFoundError extends GcpExchangeError {
  constructor(provider: string, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_PROVIDER_NOT_FOUND',
      GCP_STS_HOP,
      `GCP STS does not know the workload identity provider "${provider}"`,
      `Check ${settingLabel(GCP_WORKLOAD_IDENTITY_PROVIDER)}: the pool or provider is missing, disabled or deleted, or the project number is wrong.`,
      false,
      details,
    );
    this.name = 'GcpProviderNotFoundError';
  }
}

/**
 * IAM Credentials `PERMISSION_DENIED`: the federated identity may not impersonate the service account.
 * `repository` is the presented token's claim (the binding to paste), absent when unknown.
 */
export class GcpImpersonationDeniedError extends GcpExchangeError {
  constructor(
    serviceAccount: string,
    principalSet: string,
    repository: string | undefined,
    details: GcpErrorDetails,
  ) {
    super(
      'KEYLESS_ERR_GCP_IMPERSONATION_DENIED',
      GCP_IAM_HOP,
      `Impersonating ${serviceAccount} was denied`,
      `Grant roles/iam.workloadIdentityUser on ${serviceAccount} to ${principalSet}/attribute.repository/${repository ?? 'OWNER/REPO'} (the provider maps attribute.repository=assertion.repository; or the matching principal).`,
      false,
      details,
    );
    this.name = 'GcpImpersonationDeniedError';
  }
}

/** IAM Credentials `NOT_FOUND`: the service account does not exist. */
export class GcpServiceAccountNotFoundError extends GcpExchangeError {
  constructor(serviceAccount: string, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_SERVICE_ACCOUNT_NOT_FOUND',
      GCP_IAM_HOP,
      `Service account ${serviceAccount} does not exist`,
      `Check ${settingLabel(GCP_SERVICE_ACCOUNT)}: gcloud iam service-accounts describe ${serviceAccount}.`,
      false,
      details,
    );
    this.name = 'GcpServiceAccountNotFoundError';
  }
}

/** A Google API the exchange needs is disabled in the project. */
export class GcpApiDisabledError extends GcpExchangeError {
  constructor(hop: GcpHop, project: string, details: GcpErrorDetails) {
    const service = hop === GCP_STS_HOP ? 'sts.googleapis.com' : 'iamcredentials.googleapis.com';
    super(
      'KEYLESS_ERR_GCP_API_DISABLED',
      hop,
      `The ${service} API is disabled in project ${project}`,
      `Enable it: gcloud services enable ${service} --project ${project}.`,
      false,
      details,
    );
    this.name = 'GcpApiDisabledError';
  }
}

/** Any other 4xx answer of STS or IAM Credentials. */
export class GcpRejectedError extends GcpExchangeError {
  constructor(hop: GcpHop, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_REJECTED',
      hop,
      hop === GCP_STS_HOP
        ? 'GCP STS rejected the token exchange'
        : 'IAM Credentials rejected the impersonation',
      hop === GCP_STS_HOP
        ? `Check the workload identity provider configuration and ${GCP_SCOPE.env} against the reason above.`
        : `Check ${GCP_TOKEN_LIFETIME.env} (over 3600 s needs the lifetime-extension org policy) and ${GCP_SCOPE.env}.`,
      false,
      details,
    );
    this.name = 'GcpRejectedError';
  }
}

/** A 5xx or 429 answer: Google is having trouble; retrying helps. */
export class GcpUnavailableError extends GcpExchangeError {
  constructor(hop: GcpHop, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_UNAVAILABLE',
      hop,
      `${hop === GCP_STS_HOP ? 'GCP STS' : 'IAM Credentials'} is unavailable (HTTP ${details.upstreamStatus ?? '?'})`,
      'Usually transient: the gateway keeps retrying with backoff; check https://status.cloud.google.com if it persists.',
      true,
      details,
    );
    this.name = 'GcpUnavailableError';
  }
}

/** No answer at all: DNS, connection, TLS, proxy or timeout. */
export class GcpUnreachableError extends GcpExchangeError {
  constructor(hop: GcpHop, endpoint: string, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_UNREACHABLE',
      hop,
      `Cannot reach ${endpoint}`,
      `Check network access to ${endpoint} (DNS, firewall, HTTPS_PROXY/NO_PROXY, NODE_EXTRA_CA_CERTS for a private CA).`,
      true,
      details,
    );
    this.name = 'GcpUnreachableError';
  }
}

/** A 2xx answer without a usable token or expiry. */
export class GcpMalformedAnswerError extends GcpExchangeError {
  constructor(hop: GcpHop, problem: string, details: GcpErrorDetails = {}) {
    super(
      'KEYLESS_ERR_GCP_MALFORMED_ANSWER',
      hop,
      `${hop === GCP_STS_HOP ? 'GCP STS' : 'IAM Credentials'} answered without ${problem}`,
      'Check that the token endpoint overrides point at Google STS / IAM Credentials (or a faithful fake).',
      true,
      details,
    );
    this.name = 'GcpMalformedAnswerError';
  }
}

/**
 * A 3xx answer: the exchange never follows a redirect, since following it would
 * hand the GitHub token (STS) or the federated token (IAM) to whatever host it names.
 */
export class GcpRedirectRefusedError extends GcpExchangeError {
  constructor(hop: GcpHop, endpoint: string, target: string | undefined, details: GcpErrorDetails) {
    const service = hop === GCP_STS_HOP ? 'GCP STS' : 'IAM Credentials';
    super(
      'KEYLESS_ERR_GCP_REDIRECT_REFUSED',
      hop,
      `${service} at ${endpoint} answered HTTP ${details.upstreamStatus ?? '3xx'}, a redirect${target ? ` to ${target}` : ''}: refused, tokens are never sent to another host`,
      `Set ${hop === GCP_STS_HOP ? GCP_TOKEN_URL.env : GCP_IAM_CREDENTIALS_URL.env} to the final endpoint, or remove the proxy or portal in between that redirects.`,
      false,
      details,
    );
    this.name = 'GcpRedirectRefusedError';
  }
}

/** The exchange was cancelled (shutdown). */
export class GcpAbortedError extends GcpExchangeError {
  constructor(hop: GcpHop, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_ABORTED',
      hop,
      'The GCP token exchange was cancelled',
      'None needed: the gateway is shutting down.',
      false,
      details,
    );
    this.name = 'GcpAbortedError';
  }
}

/** Anything the mapping does not recognise. */
export class GcpExchangeFailedError extends GcpExchangeError {
  constructor(hop: GcpHop, details: GcpErrorDetails) {
    super(
      'KEYLESS_ERR_GCP_EXCHANGE_FAILED',
      hop,
      'The GCP token exchange failed',
      'Run `keyless doctor` for details; report it if the reason is unclear.',
      true,
      details,
    );
    this.name = 'GcpExchangeFailedError';
  }
}
