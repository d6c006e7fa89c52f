import { CredentialUnavailableError, ExchangeError, KeylessError } from './errors.ts';
import type { AcquiredCredential } from './plugin.ts';
import {
  DEFAULT_ACQUIRE_TIMEOUT_MS,
  DEFAULT_CREDENTIAL_WAIT_MS,
  DEFAULT_REFRESH_POLICY,
  backoffDelay,
  refreshDelay,
  usableUntil,
} from './refresh-policy.ts';
import type { RefreshPolicy } from './refresh-policy.ts';
import type { Attachment, CredentialStatus } from './route-credential.ts';

/** A credential handed to a caller; `generation` identifies it for `renew`. */
export interface CredentialLease<M> extends Attachment {
  readonly material: M;
  /** Expiry, ms epoch (`Infinity` when it never expires). */
  readonly expiresAt: number;
}

/** Non-secret facts about one credential, as carried by lifecycle events. */
export interface CredentialInfo {
  readonly generation: number;
  /** ms epoch */
  readonly acquiredAt: number;
  /** ms epoch */
  readonly expiresAt: number;
}

/** Why an exchange started. */
export type AcquireReason = 'initial' | 'refresh' | 'retry' | 'demand' | 'renew';

/** Lifecycle events; they never carry the credential material. */
export type CredentialEvent =
  | {
      readonly type: 'acquired';
      readonly reason: AcquireReason;
      readonly credential: CredentialInfo;
      /** Whether it replaced a credential (a refresh) rather than filling an empty cache. */
      readonly replaced: boolean;
      /** ms */
      readonly durationMs: number;
      /** ms until the proactive refresh; `undefined` when it never expires. */
      readonly refreshInMs: number | undefined;
    }
  | {
      readonly type: 'failed';
      readonly reason: AcquireReason;
      readonly error: unknown;
      /** Consecutive failures, 1 for the first. */
      readonly failures: number;
      /** ms */
      readonly durationMs: number;
      /** ms until the next attempt. */
      readonly retryInMs: number;
      /** The still-valid credential that keeps being served, if any. */
      readonly served: CredentialInfo | undefined;
    }
  | { readonly type: 'invalidated'; readonly credential: CredentialInfo };

/** Options of a CredentialCache; only `acquire` is required. */
export interface CredentialCacheOptions<M> {
  /** Performs one exchange; must honour `signal` (aborted on timeout and shutdown). */
  acquire(signal: AbortSignal): Promise<AcquiredCredential<M>>;
  /** Names the credential in error messages, e.g. `the <provider> credential`. */
  label?: string;
  /** How long a caller waits for a credential, ms. */
  waitTimeoutMs?: number;
  /** How long one exchange may take before it is aborted, ms. */
  acquireTimeoutMs?: number;
  policy?: Partial<RefreshPolicy>;
  /** Clock, ms epoch. */
  now?: () => number;
  /** Uniform in [0, 1). */
  random?: () => number;
  /** Turns an error into a message safe to show (redacted). */
  describeError?: (error: unknown) => string;
  /** Receives lifecycle events; exceptions it throws are ignored. */
  observe?: (event: CredentialEvent) => void;
}

interface Waiter<M> {
  resolve(lease: CredentialLease<M>): void;
  reject(error: CredentialUnavailableError): void;
  timer: NodeJS.Timeout;
}

interface Attempt {
  readonly controller: AbortController;
  /** Aborts the exchange when it takes longer than acquireTimeoutMs. */
  timeout?: NodeJS.Timeout;
  readonly reason: AcquireReason;
  /** ms epoch */
  readonly startedAt: number;
}

// setTimeout fires at once for larger delays.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Holds one credential (one per credential key) and keeps it fresh per SPEC
 * section 5: eager start, proactive refresh while the old credential is
 * served, single flight, retries with backoff forever, bounded waits, renewal
 * that cannot drop a newer credential, clean shutdown.
 */
export class CredentialCache<M> {
  readonly #acquire: (signal: AbortSignal) => Promise<AcquiredCredential<M>>;
  readonly #label: string;
  readonly #waitTimeoutMs: number;
  readonly #acquireTimeoutMs: number;
  readonly #policy: RefreshPolicy;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #describe: (error: unknown) => string;
  readonly #observe: ((event: CredentialEvent) => void) | undefined;

  #current: CredentialLease<M> | undefined;
  #usableUntil = -Infinity;
  #generation = 0;
  #attempt: Attempt | undefined;
  #lastAttemptAt = -Infinity;
  #failures = 0;
  #lastError: unknown;
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  readonly #waiters = new Set<Waiter<M>>();
  #started = false;
  #closed = false;

  constructor(options: CredentialCacheOptions<M>) {
    this.#acquire = options.acquire;
    this.#label = options.label ?? 'the credential';
    this.#waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_CREDENTIAL_WAIT_MS;
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
    this.#policy = { ...DEFAULT_REFRESH_POLICY, ...options.policy };
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? (() => Math.random());
    this.#describe = options.describeError ?? describeErrorPlainly;
    this.#observe = options.observe;
  }

  /** Starts the first exchange now instead of at the first request. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#demand('initial');
  }

  /**
   * A usable credential: at once when one is held, else from the exchange in
   * flight (started if needed). Rejects with CredentialUnavailableError when
   * that exchange fails or nothing arrives within the wait bound.
   */
  /** True when `get` resolves at once, without waiting for an exchange. */
  hasUsable(): boolean {
    return this.#usable() !== undefined;
  }

  get(): Promise<CredentialLease<M>> {
    const lease = this.#usable();
    return lease ? Promise.resolve(lease) : this.#wait('demand');
  }

  /**
   * The upstream rejected `rejected`: drop it unless a newer credential
   * already replaced it, and resolve with a newer credential. Concurrent
   * callers share one exchange.
   */
  renew(rejected: Attachment): Promise<CredentialLease<M>> {
    const current = this.#current;
    if (current && current.generation === rejected.generation) {
      this.#current = undefined;
      this.#usableUntil = -Infinity;
      this.#emit({ type: 'invalidated', credential: info(current) });
    }
    const lease = this.#usable();
    if (lease && lease.generation > rejected.generation) return Promise.resolve(lease);
    return this.#wait('renew');
  }

  /** Snapshot for /readyz. */
  status(): CredentialStatus {
    const lease = this.#usable();
    const state =
      this.#failures > 0
        ? 'failing'
        : !lease
          ? 'acquiring'
          : this.#attempt
            ? 'refreshing'
            : 'ready';
    return {
      state,
      ...(lease && Number.isFinite(lease.expiresAt) ? { expiresAt: lease.expiresAt } : {}),
      ...(this.#failures > 0 ? { lastError: this.#describe(this.#lastError) } : {}),
    };
  }

  /** Cancels timers, aborts the exchange in flight and rejects every waiter. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    const attempt = this.#attempt;
    this.#attempt = undefined;
    if (attempt) {
      clearTimeout(attempt.timeout);
      attempt.controller.abort(new Error(`${this.#label} was closed`));
    }
    this.#rejectWaiters(this.#unavailable('the gateway is shutting down', undefined));
  }

  #usable(): CredentialLease<M> | undefined {
    return this.#current && this.#now() < this.#usableUntil ? this.#current : undefined;
  }

  #wait(reason: AcquireReason): Promise<CredentialLease<M>> {
    if (this.#closed) {
      return Promise.reject(this.#unavailable('the gateway is shutting down', undefined));
    }
    this.#demand(reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<M> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(this.#timedOut());
        }, this.#waitTimeoutMs),
      };
      waiter.timer.unref();
      this.#waiters.add(waiter);
    });
  }

  /** Makes sure an exchange runs now, or as soon as the minimum interval allows. */
  #demand(reason: AcquireReason): void {
    if (this.#attempt || this.#closed) return;
    const now = this.#now();
    const earliest = this.#lastAttemptAt + this.#policy.minRefreshIntervalMs;
    if (earliest <= now) this.#begin(reason);
    else if (this.#timerAt === undefined || this.#timerAt > earliest) {
      this.#schedule(earliest - now, reason);
    }
  }

  #begin(reason: AcquireReason): void {
    if (this.#attempt || this.#closed) return;
    this.#clearTimer();
    const controller = new AbortController();
    const attempt: Attempt = { controller, reason, startedAt: this.#now() };
    this.#attempt = attempt;
    this.#lastAttemptAt = attempt.startedAt;
    attempt.timeout = setTimeout(() => {
      controller.abort(
        new ExchangeError(
          'KEYLESS_ERR_EXCHANGE_TIMEOUT',
          'credential',
          `the exchange did not finish within ${this.#acquireTimeoutMs} ms`,
        ),
      );
    }, this.#acquireTimeoutMs);
    attempt.timeout.unref();
    // The race settles on abort even when an exchange ignores its signal.
    Promise.race([callAcquire(this.#acquire, controller.signal), rejectOnAbort(controller.signal)])
      .then(
        (credential) => this.#settle(attempt, credential, undefined),
        (error: unknown) => this.#settle(attempt, undefined, error),
      )
      .finally(() => clearTimeout(attempt.timeout));
  }

  #settle(attempt: Attempt, credential: AcquiredCredential<M> | undefined, error: unknown): void {
    if (attempt !== this.#attempt) return; // closed meanwhile
    this.#attempt = undefined;
    const now = this.#now();
    if (credential) {
      const expiresAt = credential.expiresAt;
      if (typeof expiresAt === 'number' && expiresAt > now) {
        this.#succeeded(attempt, credential.material, expiresAt, now);
        return;
      }
      error = new ExchangeError(
        'KEYLESS_ERR_CREDENTIAL_EXPIRED',
        'credential',
        'the exchange returned a credential that has already expired',
        { fix: "check this machine's clock and the lifetime the identity provider grants" },
      );
    }
    this.#failed(attempt, error, now);
  }

  #succeeded(attempt: Attempt, material: M, expiresAt: number, now: number): void {
    const replaced = this.#current !== undefined;
    const lease: CredentialLease<M> = {
      material,
      expiresAt,
      acquiredAt: now,
      generation: ++this.#generation,
    };
    this.#current = lease;
    this.#usableUntil = usableUntil(now, expiresAt, this.#policy);
    this.#failures = 0;
    this.#lastError = undefined;
    const refreshInMs = Number.isFinite(expiresAt)
      ? refreshDelay(expiresAt - now, this.#random(), this.#policy)
      : undefined;
    if (refreshInMs !== undefined) this.#schedule(refreshInMs, 'refresh');
    for (const waiter of this.#takeWaiters()) waiter.resolve(lease);
    this.#emit({
      type: 'acquired',
      reason: attempt.reason,
      credential: info(lease),
      replaced,
      durationMs: now - attempt.startedAt,
      refreshInMs,
    });
  }

  #failed(attempt: Attempt, error: unknown, now: number): void {
    this.#failures += 1;
    this.#lastError = error;
    const retryInMs = backoffDelay(this.#failures, this.#random(), this.#policy);
    this.#schedule(retryInMs, 'retry');
    this.#rejectWaiters(this.#unavailable(undefined, error));
    const served = this.#usable();
    this.#emit({
      type: 'failed',
      reason: attempt.reason,
      error,
      failures: this.#failures,
      durationMs: now - attempt.startedAt,
      retryInMs,
      served: served && info(served),
    });
  }

  #schedule(delayMs: number, reason: AcquireReason): void {
    this.#clearTimer();
    if (this.#closed) return;
    const ms = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    this.#timerAt = this.#now() + ms;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#begin(reason);
    }, ms);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  #takeWaiters(): Waiter<M>[] {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) clearTimeout(waiter.timer);
    return waiters;
  }

  #rejectWaiters(error: CredentialUnavailableError): void {
    for (const waiter of this.#takeWaiters()) waiter.reject(error);
  }

  #timedOut(): CredentialUnavailableError {
    const waited = `no credential within ${this.#waitTimeoutMs} ms`;
    return this.#failures > 0
      ? this.#unavailable(`${waited}; last failure`, this.#lastError)
      : this.#unavailable(`${waited}; the exchange is still running`, undefined);
  }

  /** `{label} is unavailable: {problem}: {redacted cause} (fix: ...)`, with Retry-After. */
  #unavailable(problem: string | undefined, cause: unknown): CredentialUnavailableError {
    const parts = [problem, cause === undefined ? undefined : this.#describe(cause)];
    let message = `${this.#label} is unavailable: ${parts.filter(Boolean).join(': ')}`;
    const fix = cause instanceof KeylessError ? cause.fix : undefined;
    if (fix && !message.includes(fix)) message += ` (fix: ${fix})`;
    return new CredentialUnavailableError(message, this.#retryAfterSeconds(), {
      ...(fix ? { fix } : {}),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /**
   * Seconds until a retried request can meet a new exchange: the scheduled one,
   * or the one a request may start once the minimum interval has passed; at least 1.
   */
  #retryAfterSeconds(): number {
    if (this.#attempt || this.#timerAt === undefined) return 1;
    const next = Math.min(this.#timerAt, this.#lastAttemptAt + this.#policy.minRefreshIntervalMs);
    return Math.max(1, Math.ceil((next - this.#now()) / 1000));
  }

  #emit(event: CredentialEvent): void {
    try {
      this.#observe?.(event);
    } catch {
      // An observer (logging, metrics) must never break the credential flow.
    }
  }
}

function info(lease: CredentialLease<unknown>): CredentialInfo {
  return { generation: lease.generation, acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt };
}

function describeErrorPlainly(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function callAcquire<M>(
  acquire: (signal: AbortSignal) => Promise<AcquiredCredential<M>>,
  signal: AbortSignal,
): Promise<AcquiredCredential<M>> {
  return acquire(signal);
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
