/**
 * When to refresh a credential and how long to wait after a failure (SPEC
 * section 5). Pure functions: the caller supplies `random` (0 <= r < 1) so
 * that tests are exact.
 */

/** Fraction of the lifetime after which a credential is refreshed. */
export const DEFAULT_REFRESH_FRACTION = 0.75;
/** A refresh happens at least this long before expiry, ms. */
export const DEFAULT_REFRESH_LEAD_MS = 60_000;
/** Up to this fraction of the refresh delay is taken off at random, so that gateways spread out. */
export const DEFAULT_REFRESH_JITTER = 0.1;
/** No two exchanges start closer together than this, ms: a credential that expires at once cannot cause a tight loop. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 1_000;
/** First retry delay after a failed exchange, ms. */
export const DEFAULT_BACKOFF_INITIAL_MS = 1_000;
/** Retry delays never exceed this, ms. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Up to this fraction of a retry delay is taken off at random. */
export const DEFAULT_BACKOFF_JITTER = 0.2;
/** A credential stops being handed out this long before its expiry, ms (capped at a tenth of its lifetime). */
export const DEFAULT_EXPIRY_MARGIN_MS = 5_000;
/** An exchange that has not settled after this long is aborted and counts as failed, ms. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 60_000;
/** How long a request waits for a credential before it gets 503, ms (`KEYLESS_CREDENTIAL_WAIT_MS`). */
export const DEFAULT_CREDENTIAL_WAIT_MS = 15_000;

/** Tunables of the refresh schedule; every field defaults to the `DEFAULT_*` constant above. */
export interface RefreshPolicy {
  readonly refreshFraction: number;
  readonly refreshLeadMs: number;
  readonly refreshJitter: number;
  readonly minRefreshIntervalMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly backoffJitter: number;
  readonly expiryMarginMs: number;
}

/** The policy SPEC section 5 asks for. */
export const DEFAULT_REFRESH_POLICY: RefreshPolicy = Object.freeze({
  refreshFraction: DEFAULT_REFRESH_FRACTION,
  refreshLeadMs: DEFAULT_REFRESH_LEAD_MS,
  refreshJitter: DEFAULT_REFRESH_JITTER,
  minRefreshIntervalMs: DEFAULT_MIN_REFRESH_INTERVAL_MS,
  backoffInitialMs: DEFAULT_BACKOFF_INITIAL_MS,
  backoffMaxMs: DEFAULT_BACKOFF_MAX_MS,
  backoffJitter: DEFAULT_BACKOFF_JITTER,
  expiryMarginMs: DEFAULT_EXPIRY_MARGIN_MS,
});

/**
 * Delay in ms from obtaining a credential that lives `lifetimeMs` to its
 * proactive refresh: ~75% of the lifetime, never later than the lead before
 * expiry, at half-life when the lead would leave less than half, never sooner
 * than the minimum interval. Jitter only makes it earlier, so the bounds hold.
 */
export function refreshDelay(
  lifetimeMs: number,
  random: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): number {
  const latest = lifetimeMs - policy.refreshLeadMs;
  const target =
    latest >= lifetimeMs / 2
      ? Math.min(lifetimeMs * policy.refreshFraction, latest)
      : lifetimeMs / 2;
  return Math.max(policy.minRefreshIntervalMs, target * (1 - policy.refreshJitter * random));
}

/** Delay in ms before retry number `failures` (1 = first failure): doubling from the initial delay, capped, with jitter. */
export function backoffDelay(
  failures: number,
  random: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): number {
  const exponent = Math.max(0, failures - 1);
  // Cap before multiplying by the jitter so that the cap is reached and stays.
  const capped = Math.min(
    policy.backoffMaxMs,
    policy.backoffInitialMs * 2 ** Math.min(exponent, 52),
  );
  return Math.max(policy.minRefreshIntervalMs, capped * (1 - policy.backoffJitter * random));
}

/** Last instant (ms epoch) at which a credential obtained at `acquiredAt` may still be handed out. */
export function usableUntil(
  acquiredAt: number,
  expiresAt: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): number {
  const margin = Math.min(policy.expiryMarginMs, Math.max(0, expiresAt - acquiredAt) / 10);
  return expiresAt - margin;
}
