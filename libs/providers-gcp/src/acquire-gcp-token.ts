import type { AcquireContext, AcquiredCredential } from '@keyless/auth-core';
import type { IdentityPoolClientOptions } from 'google-auth-library';
import { GcpMalformedAnswerError } from './errors.ts';
import { mapGcpError } from './map-gcp-error.ts';
import { GCP_IAM_HOP, GCP_STS_HOP, type GcpHop } from './gcp-hops.ts';
import { GcpTransport } from './gcp-transport.ts';
import { createIdentityPoolClient, type GcpClientFactory } from './identity-pool-client.ts';
import type { GcpConfig } from './gcp-config.ts';

/** What the GCP plugin attaches to requests. */
export interface GcpMaterial {
  /** OAuth access token (federated, or the impersonated service account's). */
  readonly accessToken: string;
}

/** Subject token type of a GitHub OIDC token (a JWT) in the STS exchange. */
export const GCP_SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/**
 * Lifetime assumed when STS answers without `expires_in`, ms: that of the GitHub
 * token, the shortest a federated token is known to live.
 */
export const GCP_FALLBACK_LIFETIME_MS = 300_000;

/** Seams of an acquisition; each has a real default. */
export interface GcpAcquireDeps {
  readonly createClient?: GcpClientFactory;
  /** Per-hop request timeout, ms. */
  readonly hopTimeoutMs?: number;
}

/** The IdentityPoolClient options of one acquisition (without transports); `mintIdToken` supplies the subject token. */
export function identityPoolOptions(
  config: GcpConfig,
  mintIdToken: AcquireContext['mintIdToken'],
): IdentityPoolClientOptions {
  return {
    type: 'external_account',
    audience: config.stsAudience,
    subject_token_type: GCP_SUBJECT_TOKEN_TYPE,
    token_url: config.tokenUrl,
    // A fresh GitHub token per exchange: it lives 5 minutes and the core decides when to refresh.
    subject_token_supplier: { getSubjectToken: () => mintIdToken(config.oidcAudience) },
    scopes: [...config.scopes],
    ...(config.impersonationUrl === undefined
      ? {}
      : {
          service_account_impersonation_url: config.impersonationUrl,
          service_account_impersonation: { token_lifetime_seconds: config.tokenLifetimeSeconds },
        }),
  };
}

/**
 * Performs one real exchange: GitHub OIDC token -> STS federated token
 * (-> IAM Credentials `generateAccessToken` when impersonating), with a new SDK
 * client, so the core alone decides when to refresh. Reports the expiry from the
 * answer: `expires_in` of STS (direct federation may inherit the GitHub token's
 * 5 minutes) or `expireTime` of IAM Credentials.
 */
export async function acquireGcpToken(
  config: GcpConfig,
  context: AcquireContext,
  deps: GcpAcquireDeps = {},
): Promise<AcquiredCredential<GcpMaterial>> {
  // google-auth-library's gaxios would read HTTPS_PROXY/HTTP_PROXY from process.env per request
  // (one proxy for every scheme, NO_PROXY without ports or `*`), and the STS hop uses a private
  // gaxios that no client option reaches: both hops get the core's egress dispatcher instead
  // (GcpTransport), so the configured proxy applies with the same rules as the upstream traffic.
  const dispatcher = context.egress.dispatcher;
  let hop: GcpHop = GCP_STS_HOP;
  // The GitHub token presented, kept so that a failure's fix can name its claims (never the token).
  let assertion: string | undefined;
  const mintIdToken = async (audience: string) => (assertion = await context.mintIdToken(audience));
  const transport = (name: GcpHop) =>
    new GcpTransport({
      hop: name,
      context,
      dispatcher,
      timeoutMs: deps.hopTimeoutMs,
      onStart: (started) => (hop = started),
    });
  try {
    const client = (deps.createClient ?? createIdentityPoolClient)(
      identityPoolOptions(config, mintIdToken),
      {
        sts: transport(GCP_STS_HOP),
        iam: transport(GCP_IAM_HOP),
      },
    );
    const { token } = await client.getAccessToken();
    const answeredBy: GcpHop = config.impersonationUrl === undefined ? GCP_STS_HOP : GCP_IAM_HOP;
    if (typeof token !== 'string' || !token)
      throw new GcpMalformedAnswerError(answeredBy, 'an access token');
    context.registerSecret(token);
    const expiry = client.credentials.expiry_date;
    const expiresAt =
      expiry === undefined || expiry === null ? Date.now() + GCP_FALLBACK_LIFETIME_MS : expiry;
    if (!Number.isFinite(expiresAt))
      throw new GcpMalformedAnswerError(answeredBy, 'a valid expiry time');
    if (expiresAt <= Date.now()) {
      throw new GcpMalformedAnswerError(
        answeredBy,
        'an expiry in the future (check the system clock)',
      );
    }
    return { material: Object.freeze({ accessToken: token }), expiresAt };
  } catch (error) {
    throw mapGcpError(error, {
      hop,
      config,
      aborted: context.signal.aborted,
      assertion,
      remoteText: (value, maxChars) => context.remoteText(value, maxChars),
    });
  }
}
