import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialCache } from './credential-cache.ts';
import type { CredentialCacheOptions, CredentialEvent } from './credential-cache.ts';
import { CredentialUnavailableError, ExchangeError } from './errors.ts';
import { scriptedAcquire } from './testing/scripted-acquire.ts';
import type { ScriptedAcquire } from './testing/scripted-acquire.ts';

const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2026, 0, 1);

let script: ScriptedAcquire<string>;
let events: CredentialEvent[];
let cache: CredentialCache<string> | undefined;

function createCache(
  options: Partial<CredentialCacheOptions<string>> = {},
): CredentialCache<string> {
  cache = new CredentialCache<string>({
    acquire: script.acquire,
    label: 'the test credential',
    random: () => 0,
    observe: (event) => events.push(event),
    ...options,
  });
  return cache;
}

/** Settles the latest exchange with a credential living `lifetimeMs` from now. */
async function grant(material: string, lifetimeMs: number): Promise<void> {
  script.last().resolve({ material, expiresAt: Date.now() + lifetimeMs });
  await vi.advanceTimersByTimeAsync(0);
}

async function fail(error: unknown = new Error('identity provider down')): Promise<void> {
  script.last().reject(error);
  await vi.advanceTimersByTimeAsync(0);
}

/** Lets a promise settle and returns what happened without awaiting forever. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  script = scriptedAcquire<string>();
  events = [];
});

afterEach(() => {
  cache?.close();
  cache = undefined;
  vi.useRealTimers();
});

describe('CredentialCache: acquisition', () => {
  it('acquires eagerly on start and serves the credential without another exchange', async () => {
    const c = createCache();
    expect(c.status().state).toBe('acquiring');
    expect(c.hasUsable()).toBe(false);
    c.start();
    c.start(); // idempotent
    expect(script.calls).toHaveLength(1);
    await grant('token-1', 60 * MIN);
    const lease = await c.get();
    expect(lease).toMatchObject({ material: 'token-1', generation: 1, acquiredAt: T0 });
    expect(lease.expiresAt).toBe(T0 + 60 * MIN);
    expect(script.calls).toHaveLength(1);
    expect(c.status()).toEqual({ state: 'ready', expiresAt: T0 + 60 * MIN });
    expect(c.hasUsable()).toBe(true);
    expect(events).toMatchObject([{ type: 'acquired', reason: 'initial', replaced: false }]);
  });

  it('acquires lazily on the first get() when never started', async () => {
    const c = createCache();
    const pending = track(c.get());
    expect(script.calls).toHaveLength(1);
    await grant('token-1', 60 * MIN);
    expect(pending.value?.material).toBe('token-1');
  });

  it('single flight: 1000 concurrent waiters cause exactly one exchange', async () => {
    const c = createCache();
    c.start();
    const waiters = Array.from({ length: 1000 }, () => c.get());
    expect(script.calls).toHaveLength(1);
    await grant('token-1', 60 * MIN);
    const leases = await Promise.all(waiters);
    expect(new Set(leases.map((lease) => lease.generation))).toEqual(new Set([1]));
    expect(leases.every((lease) => lease.material === 'token-1')).toBe(true);
    expect(script.calls).toHaveLength(1);
  });

  it('single flight: requests arriving long after the minimum interval join the exchange still in flight', async () => {
    // Every caller below arrives after minRefreshIntervalMs (1 s) has passed since the exchange
    // started: only the in-flight guard, not the interval, keeps them from starting another.
    const c = createCache({ waitTimeoutMs: 60 * S, acquireTimeoutMs: 60 * S });
    c.start();
    const waiters = [];
    for (let second = 0; second < 10; second += 2) {
      await vi.advanceTimersByTimeAsync(2 * S);
      waiters.push(track(c.get()), track(c.get()));
    }
    expect(script.calls).toHaveLength(1);
    await grant('token-1', 60 * MIN);
    expect(waiters.map((waiter) => waiter.value?.generation)).toEqual(waiters.map(() => 1));
    expect(script.calls).toHaveLength(1);
  });

  it('treats a credential that arrives already expired as a failure, not a reason to loop', async () => {
    const c = createCache();
    c.start();
    const pending = track(c.get());
    script.last().resolve({ material: 'stale', expiresAt: Date.now() - 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(pending.error).toBeInstanceOf(CredentialUnavailableError);
    expect(String((pending.error as Error).message)).toContain('already expired');
    // every exchange keeps answering expired credentials: attempts at 0, 1, 3, 7 s (backoff)
    for (let elapsed = 0; elapsed < 10 * S; elapsed += 100) {
      script.last().resolve({ material: 'stale', expiresAt: Date.now() - 1 });
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(script.calls).toHaveLength(4);
    expect(c.status().state).toBe('failing');
  });
});

describe('CredentialCache: proactive refresh', () => {
  it('refreshes at 75% of the lifetime and serves the old credential meanwhile', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    await vi.advanceTimersByTimeAsync(45 * MIN - 1);
    expect(script.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(script.calls).toHaveLength(2);
    expect(c.status().state).toBe('refreshing');
    expect((await c.get()).material).toBe('token-1');
    await grant('token-2', 60 * MIN);
    const lease = await c.get();
    expect(lease).toMatchObject({ material: 'token-2', generation: 2 });
    expect(events.at(-1)).toMatchObject({ type: 'acquired', reason: 'refresh', replaced: true });
  });

  it('applies jitter only to make the refresh earlier (random = 1 -> 90% of 75%)', async () => {
    const c = createCache({ random: () => 0.999999 });
    c.start();
    await grant('token-1', 60 * MIN);
    await vi.advanceTimersByTimeAsync(40.5 * MIN - 1 * S);
    expect(script.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 * S);
    expect(script.calls).toHaveLength(2);
  });

  it('refreshes no later than 60 s before expiry', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 200 * S);
    await vi.advanceTimersByTimeAsync(140 * S - 1);
    expect(script.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(script.calls).toHaveLength(2);
  });

  it('refreshes short lifetimes at half-life and never serves an expired credential', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 10 * S);
    await vi.advanceTimersByTimeAsync(5 * S);
    expect(script.calls).toHaveLength(2);
    await grant('token-2', 10 * S);
    await vi.advanceTimersByTimeAsync(5 * S);
    expect(script.calls).toHaveLength(3);
    expect((await c.get()).material).toBe('token-2');
  });

  it('never loops tightly on tiny lifetimes: at most one exchange per minimum interval', async () => {
    const c = createCache();
    c.start();
    // every 100 ms: answer any exchange with a 50 ms credential, and demand one
    for (let elapsed = 0; elapsed < 20 * S; elapsed += 100) {
      script.last().resolve({ material: `token-${elapsed}`, expiresAt: Date.now() + 50 });
      c.get().catch(() => {});
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(script.calls.length).toBeLessThanOrEqual(21);
    expect(script.calls.length).toBeGreaterThanOrEqual(19);
  });
});

describe('CredentialCache: failures', () => {
  it('retries with capped exponential backoff while serving the valid credential', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    await vi.advanceTimersByTimeAsync(45 * MIN);
    expect(script.calls).toHaveLength(2);
    const starts: number[] = [];
    for (let i = 0; i < 8; i++) {
      await fail(new ExchangeError('KEYLESS_ERR_TEST', 'test', `refresh failure ${i}`));
      const before = script.calls.length;
      const from = Date.now();
      while (script.calls.length === before) await vi.advanceTimersByTimeAsync(250);
      starts.push(Date.now() - from);
      expect((await c.get()).material).toBe('token-1');
    }
    expect(starts).toEqual([1, 2, 4, 8, 16, 30, 30, 30].map((s) => s * S));
    const status = c.status();
    expect(status.state).toBe('failing');
    expect(status.lastError).toBe('refresh failure 7');
    expect(status.expiresAt).toBe(T0 + 60 * MIN);
    expect(events.filter((event) => event.type === 'failed').at(-1)).toMatchObject({
      failures: 8,
      retryInMs: 30 * S,
      served: { generation: 1 },
    });
  });

  it('recovers after the credential expired while the identity provider was down', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 10 * MIN);
    // every refresh fails until well past expiry
    while (Date.now() < T0 + 12 * MIN) {
      if (script.calls.length > 1) await fail();
      await vi.advanceTimersByTimeAsync(S);
    }
    expect(c.status()).toMatchObject({ state: 'failing', lastError: 'identity provider down' });
    expect(c.status().expiresAt).toBeUndefined();
    // a cold request joins (or triggers) the next exchange and fails fast with the cause
    const cold = track(c.get());
    await vi.advanceTimersByTimeAsync(5 * S);
    expect(cold.settled).toBe(false);
    await fail();
    expect(cold.error).toBeInstanceOf(CredentialUnavailableError);
    // the provider recovers: the next demanded exchange succeeds, no restart needed
    await vi.advanceTimersByTimeAsync(5 * S);
    const recovered = track(c.get());
    await vi.advanceTimersByTimeAsync(S);
    await grant('token-2', 10 * MIN);
    expect(recovered.value?.material).toBe('token-2');
    expect(c.status().state).toBe('ready');
  });

  it('rejects waiters at once when the exchange they joined fails, with cause and fix', async () => {
    const c = createCache({ describeError: (error) => `described: ${(error as Error).message}` });
    c.start();
    const pending = track(c.get());
    await fail(
      new ExchangeError(
        'KEYLESS_ERR_TEST',
        'entra',
        'AADSTS70021: no matching federated credential',
        {
          fix: 'register the subject',
        },
      ),
    );
    const error = pending.error as CredentialUnavailableError;
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.status).toBe(503);
    expect(error.message).toBe(
      'the test credential is unavailable: described: AADSTS70021: no matching federated credential (fix: register the subject)',
    );
    expect(error.fix).toBe('register the subject');
    expect(error.retryAfterSeconds).toBe(1);
  });

  it('aborts an exchange that hangs and retries', async () => {
    const c = createCache({ acquireTimeoutMs: 20 * S });
    c.start();
    const first = script.last();
    await vi.advanceTimersByTimeAsync(20 * S);
    expect(first.signal.aborted).toBe(true);
    expect(c.status()).toMatchObject({ state: 'failing' });
    expect(c.status().lastError).toContain('did not finish within 20000 ms');
    await vi.advanceTimersByTimeAsync(S);
    expect(script.calls).toHaveLength(2);
    // a late answer of the abandoned exchange is ignored
    first.resolve({ material: 'late', expiresAt: Date.now() + 60 * MIN });
    await grant('token-2', 60 * MIN);
    expect((await c.get()).material).toBe('token-2');
  });
});

describe('CredentialCache: bounded wait', () => {
  it('gives up after waitTimeoutMs with 503, Retry-After and the last cause', async () => {
    const c = createCache({ waitTimeoutMs: 15 * S });
    c.start();
    await fail(new Error('connect ECONNREFUSED'));
    // retry at +1 s hangs; the request waits 15 s at most
    const pending = track(c.get());
    await vi.advanceTimersByTimeAsync(15 * S - 1);
    expect(pending.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = pending.error as CredentialUnavailableError;
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toBe(
      'the test credential is unavailable: no credential within 15000 ms; last failure: connect ECONNREFUSED',
    );
    expect(script.calls).toHaveLength(2);
  });

  it('says the exchange is still running when nothing failed yet', async () => {
    const c = createCache({ waitTimeoutMs: 2 * S });
    c.start();
    const pending = track(c.get());
    await vi.advanceTimersByTimeAsync(2 * S);
    expect((pending.error as Error).message).toContain('the exchange is still running');
  });

  it('computes Retry-After from when a retried request can start the next exchange', async () => {
    const c = createCache({ waitTimeoutMs: 500 });
    c.start();
    for (let i = 0; i < 5; i++) {
      await fail();
      await vi.advanceTimersByTimeAsync(backoffAt(i));
    }
    await fail(); // 6th failure: next attempt in 30 s
    await vi.advanceTimersByTimeAsync(S);
    const pending = track(c.get()); // demand moves the attempt to now; fails again
    expect(script.calls).toHaveLength(7);
    await vi.advanceTimersByTimeAsync(0);
    expect(pending.settled).toBe(false);
    await fail();
    // The scheduled retry is 30 s away, but a request may start one after the minimum interval.
    expect((pending.error as CredentialUnavailableError).retryAfterSeconds).toBe(1);
  });
});

function backoffAt(failureIndex: number): number {
  return Math.min(30, 2 ** failureIndex) * S;
}

describe('CredentialCache: invalidation', () => {
  it('renew() drops the rejected credential and shares one exchange among all callers', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    const lease = await c.get();
    await vi.advanceTimersByTimeAsync(5 * S);
    const renewals = Array.from({ length: 50 }, () => track(c.renew(lease)));
    expect(script.calls).toHaveLength(2);
    expect(c.status().state).toBe('acquiring');
    expect(events.filter((event) => event.type === 'invalidated')).toHaveLength(1);
    await grant('token-2', 60 * MIN);
    expect(renewals.every((r) => r.value?.material === 'token-2')).toBe(true);
    expect(script.calls).toHaveLength(2);
  });

  it('single flight: renewals and requests arriving after the minimum interval join the refresh in flight', async () => {
    const c = createCache({ waitTimeoutMs: 60 * S, acquireTimeoutMs: 60 * S });
    c.start();
    await grant('token-1', 60 * MIN);
    const first = await c.get();
    await vi.advanceTimersByTimeAsync(45 * MIN); // the proactive refresh starts and hangs
    expect(script.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2 * S);
    expect((await c.get()).generation).toBe(1); // served from the old credential meanwhile
    const waiters = [];
    for (let second = 0; second < 10; second += 2) {
      // The upstream rejects token-1 (again): renew joins the refresh instead of starting one.
      waiters.push(track(c.renew(first)), track(c.get()));
      await vi.advanceTimersByTimeAsync(2 * S);
    }
    expect(script.calls).toHaveLength(2);
    await grant('token-2', 60 * MIN);
    expect(waiters.map((waiter) => waiter.value?.material)).toEqual(waiters.map(() => 'token-2'));
    expect(script.calls).toHaveLength(2);
  });

  it('ignores a stale invalidation: it cannot drop a newer credential', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    const old = await c.get();
    await vi.advanceTimersByTimeAsync(5 * S);
    const first = track(c.renew(old));
    await grant('token-2', 60 * MIN);
    expect(first.value?.generation).toBe(2);
    // a request that was sent with token-1 is rejected late
    const late = await c.renew(old);
    expect(late).toMatchObject({ material: 'token-2', generation: 2 });
    expect(script.calls).toHaveLength(2);
    expect(c.status().state).toBe('ready');
    expect(events.filter((event) => event.type === 'invalidated')).toHaveLength(1);
  });

  it('respects the minimum interval after a fresh credential is rejected at once', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    const pending = track(c.renew(await c.get()));
    expect(script.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(S);
    expect(script.calls).toHaveLength(2);
    await grant('token-2', 60 * MIN);
    expect(pending.value?.generation).toBe(2);
  });
});

describe('CredentialCache: shutdown', () => {
  it('aborts the exchange in flight, rejects waiters and leaves no timer', async () => {
    const c = createCache();
    c.start();
    const waiting = track(c.get());
    c.close();
    c.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(script.last().signal.aborted).toBe(true);
    expect((waiting.error as Error).message).toContain('shutting down');
    expect(vi.getTimerCount()).toBe(0);
    await expect(c.get()).rejects.toBeInstanceOf(CredentialUnavailableError);
    script.last().resolve({ material: 'late', expiresAt: Date.now() + 60 * MIN });
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(script.calls).toHaveLength(1);
    expect(events).toHaveLength(0);
  });

  it('cancels the refresh timer of a ready credential', async () => {
    const c = createCache();
    c.start();
    await grant('token-1', 60 * MIN);
    expect(vi.getTimerCount()).toBe(1);
    c.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * 60 * MIN);
    expect(script.calls).toHaveLength(1);
  });
});

describe('CredentialCache: observers', () => {
  it('keeps working when the observer throws', async () => {
    const c = createCache({
      observe: () => {
        throw new Error('observer bug');
      },
    });
    c.start();
    await grant('token-1', 60 * MIN);
    expect((await c.get()).material).toBe('token-1');
  });

  it('events never carry the credential material', async () => {
    const c = createCache();
    c.start();
    await grant('secret-material', 10 * S);
    await vi.advanceTimersByTimeAsync(5 * S);
    await fail();
    c.renew({ generation: 1, acquiredAt: T0 }).catch(() => {});
    expect(events.map((event) => event.type)).toEqual(['acquired', 'failed', 'invalidated']);
    expect(JSON.stringify(events)).not.toContain('secret-material');
  });
});
