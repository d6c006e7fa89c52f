import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCredentialMetrics } from './credential-metrics.ts';
import type { CredentialMetrics } from './credential-metrics.ts';
import { CredentialUnavailableError, ExchangeError } from './errors.ts';
import { federatedCredential } from './federated-credential.ts';
import type { FederatedCredentialSharedOptions } from './federated-credential.ts';
import { createLogger } from './logger.ts';
import type { OutgoingRequest } from './plugin.ts';
import { Redactor } from './redaction.ts';
import type { RouteCredential } from './route-credential.ts';
import { createTestPlugin } from './testing/test-plugin.ts';
import type { TestExchange, TestPluginConfig } from './testing/test-plugin.ts';

const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2026, 0, 1);
const CONFIG: TestPluginConfig = Object.freeze({
  tokenUrl: 'http://127.0.0.1:1/token',
  audience: 'aud-1',
});

let lines: string[];
let redactor: Redactor;
let registry: Registry;
let metrics: CredentialMetrics;
let minted: string[];
let mintedAudiences: string[];
let exchanged: string[];
let issued: string[];
let mode: 'ok' | 'fail';
let signals: AbortSignal[];
let credential: RouteCredential | undefined;

const exchange: TestExchange = async (idToken, _config, { signal }) => {
  exchanged.push(idToken);
  signals.push(signal);
  await new Promise((resolve) => setTimeout(resolve, 120));
  if (mode === 'fail') {
    // A careless identity provider echoes the subject token in its error.
    throw new ExchangeError(
      'KEYLESS_ERR_TEST_EXCHANGE',
      'test-sts',
      `subject ${idToken} rejected`,
      {
        fix: 'register the subject',
      },
    );
  }
  const token = `access-token-${issued.length + 1}-abcdef`;
  issued.push(token);
  return { accessToken: token, expiresAt: Date.now() + 60 * MIN };
};

function shared(): FederatedCredentialSharedOptions {
  return {
    minter: {
      async mint(audience) {
        const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.sig${minted.length + 1}`;
        redactor.register(token); // the real minter registers on arrival
        minted.push(token);
        mintedAudiences.push(audience);
        return { token, expiresAt: Date.now() + 5 * MIN, claims: {} };
      },
    },
    redactor,
    logger: createLogger({
      redactor,
      level: 'debug',
      destination: { write: (line) => lines.push(line) },
    }),
    metrics,
    waitTimeoutMs: 5 * S,
    engine: { random: () => 0 },
  };
}

function create(): RouteCredential {
  credential = federatedCredential({
    ...shared(),
    plugin: createTestPlugin({ exchange }),
    config: CONFIG,
  });
  return credential;
}

function request(): OutgoingRequest {
  return { method: 'POST', origin: 'https://upstream.example', path: '/v1/chat', headers: {} };
}

function events(): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function event(name: string): Record<string, unknown> | undefined {
  return events().find((entry) => entry.event === name);
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  lines = [];
  redactor = new Redactor();
  registry = new Registry();
  metrics = createCredentialMetrics(registry);
  minted = [];
  mintedAudiences = [];
  exchanged = [];
  issued = [];
  signals = [];
  mode = 'ok';
});

afterEach(() => {
  credential?.close();
  credential = undefined;
  vi.useRealTimers();
});

describe('federatedCredential', () => {
  it('describes itself from the plugin', () => {
    const c = create();
    expect([c.provider, c.auth, c.signsBody, c.renewable]).toEqual([
      'test',
      'github-oidc',
      false,
      true,
    ]);
  });

  it('attaches the exchanged token and returns an attachment without the material', async () => {
    const c = create();
    c.start();
    const outgoing = request();
    const attaching = c.attach(outgoing);
    await vi.advanceTimersByTimeAsync(120);
    const attachment = await attaching;
    expect(outgoing.headers.authorization).toBe('Bearer access-token-1-abcdef');
    expect(attachment).toEqual({ generation: 1, acquiredAt: T0 + 120 });
    expect(c.status()).toEqual({ state: 'ready', expiresAt: T0 + 120 + 60 * MIN });
  });

  it('mints a fresh GitHub token for the configured audience for every exchange', async () => {
    const c = create();
    c.start();
    await vi.advanceTimersByTimeAsync(120);
    await vi.advanceTimersByTimeAsync(45 * MIN); // proactive refresh
    expect(minted).toHaveLength(2);
    expect(new Set(minted).size).toBe(2);
    expect(mintedAudiences).toEqual(['aud-1', 'aud-1']);
    expect(exchanged).toEqual(minted);
  });

  it('registers minted and exchanged tokens for redaction the moment they exist', async () => {
    const c = create();
    c.start();
    await vi.advanceTimersByTimeAsync(120);
    expect(redactor.redact(`x ${issued[0]} y ${minted[0]}`)).toBe('x [REDACTED] y [REDACTED]');
  });

  it('times every hop and counts refreshes by result in metrics', async () => {
    const c = create();
    metrics.trackExpiry('copilot', c);
    c.start();
    await vi.advanceTimersByTimeAsync(120);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    const text = await registry.metrics();
    expect(text).toContain(
      'keyless_credential_refreshes_total{provider="test",result="success"} 1',
    );
    expect(text).toContain(
      'keyless_credential_exchange_duration_seconds_sum{provider="test",hop="test-sts",result="success"} 0.12',
    );
    expect(text).toContain(
      'keyless_credential_exchange_duration_seconds_count{provider="test",hop="github-oidc",result="success"} 1',
    );
    expect(text).toContain(
      'keyless_credential_expiry_seconds{route="copilot",provider="test"} 3000',
    );
  });

  it('logs each lifecycle event with the remaining lifetime and never a secret', async () => {
    const c = create();
    c.start();
    await vi.advanceTimersByTimeAsync(120);
    expect(event('credential.acquired')).toMatchObject({
      provider: 'test',
      auth: 'github-oidc',
      reason: 'initial',
      generation: 1,
      remainingSeconds: 3600,
      refreshInSeconds: 2700,
      refreshInMs: 2_700_000,
      durationMs: 120,
      hops: [
        { hop: 'github-oidc', durationMs: 0, ok: true },
        { hop: 'test-sts', durationMs: 120, ok: true },
      ],
    });
    expect(event('credential.hop')).toMatchObject({ level: 20, hop: 'github-oidc' });

    mode = 'fail';
    await vi.advanceTimersByTimeAsync(45 * MIN + 120);
    expect(event('credential.refresh_failed')).toMatchObject({
      level: 40,
      reason: 'refresh',
      failures: 1,
      remainingSeconds: 900,
      retryInSeconds: 1,
      code: 'KEYLESS_ERR_TEST_EXCHANGE',
      hop: 'test-sts',
      fix: 'register the subject',
      error: 'subject [REDACTED] rejected',
    });

    mode = 'ok';
    await vi.advanceTimersByTimeAsync(S + 120);
    expect(event('credential.refreshed')).toMatchObject({ reason: 'retry', generation: 2 });

    const outgoing = request();
    const attachment = await c.attach(outgoing);
    c.renew(attachment).catch(() => {});
    expect(event('credential.invalidated')).toMatchObject({
      generation: 2,
      remainingSeconds: 3600,
    });

    const output = lines.join('');
    for (const secret of [...minted, ...issued]) expect(output).not.toContain(secret);
  });

  it('answers 503 with the redacted cause when the exchange fails, and reports it in status', async () => {
    mode = 'fail';
    const c = create();
    c.start();
    const attaching = c.attach(request());
    const outcome = attaching.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(120);
    const error = (await outcome) as CredentialUnavailableError;
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toBe(
      'the test credential is unavailable: subject [REDACTED] rejected (fix: register the subject)',
    );
    expect(c.status()).toEqual({ state: 'failing', lastError: 'subject [REDACTED] rejected' });
    expect(event('credential.acquire_failed')).toMatchObject({ level: 50, remainingSeconds: 0 });
  });

  it('renew() replaces only the rejected credential, once for all callers', async () => {
    const c = create();
    c.start();
    await vi.advanceTimersByTimeAsync(120);
    const first = await c.attach(request());
    await vi.advanceTimersByTimeAsync(5 * S);
    const renewals = Promise.all([c.renew(first), c.renew(first), c.renew(first)]);
    await vi.advanceTimersByTimeAsync(120);
    await renewals;
    expect(issued).toHaveLength(2);
    const outgoing = request();
    expect(await c.attach(outgoing)).toMatchObject({ generation: 2 });
    expect(outgoing.headers.authorization).toBe('Bearer access-token-2-abcdef');
    await c.renew(first); // stale: a newer credential exists
    expect(issued).toHaveLength(2);
  });

  it('close() aborts the exchange in flight', async () => {
    const c = create();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(1);
    c.close();
    expect(signals[0]?.aborted).toBe(true);
    await expect(c.attach(request())).rejects.toBeInstanceOf(CredentialUnavailableError);
  });
});
