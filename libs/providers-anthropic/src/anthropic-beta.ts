/**
 * `anthropic-beta` value the Anthropic API requires on requests authenticated
 * with an OAuth bearer token (the Anthropic SDK's `OAUTH_API_BETA_HEADER`).
 */
export const OAUTH_BETA = 'oauth-2025-04-20';

/** `anthropic-beta` value of the jwt-bearer exchange itself (the SDK's `FEDERATION_BETA_HEADER`), besides OAUTH_BETA. */
export const FEDERATION_BETA = 'oidc-federation-2026-04-01';

/**
 * The client's `anthropic-beta` values with `beta` added once: agents send
 * their own betas (tools, caching, context sizes) in the same header, and
 * replacing them would silently turn those features off.
 */
export function withBeta(existing: string | undefined, beta: string): string {
  const values = (existing ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  return values.includes(beta) ? values.join(',') : [...values, beta].join(',');
}
