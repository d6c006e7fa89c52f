import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialPool } from './credential-pool.ts';
import type { OutgoingRequest } from './plugin.ts';
import { Redactor } from './redaction.ts';
import { createTestPlugin } from './testing/test-plugin.ts';
import type { TestExchange } from './testing/test-plugin.ts';

let exchanges: Array<{ audience: string; signal: AbortSignal }>;
let pool: CredentialPool;

const exchange: TestExchange = async (_idToken, config, { signal }) => {
  exchanges.push({ audience: config.audience, signal });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { accessToken: `token-for-${config.audience}`, expiresAt: Date.now() + 3_600_000 };
};

const plugin = createTestPlugin({ exchange });

function request(): OutgoingRequest {
  return { method: 'GET', origin: 'https://upstream.example', path: '/', headers: {} };
}

beforeEach(() => {
  vi.useFakeTimers();
  exchanges = [];
  pool = new CredentialPool({
    minter: {
      mint: async () => ({
        token: 'eyJ.minted.token',
        expiresAt: Date.now() + 300_000,
        claims: {},
      }),
    },
    redactor: new Redactor(),
    logger: pino({ level: 'silent' }),
  });
});

afterEach(() => {
  pool.close();
  vi.useRealTimers();
});

describe('CredentialPool', () => {
  it('gives routes with the same identity one shared credential and one exchange', async () => {
    const copilot = pool.get(
      plugin,
      plugin.parseConfig({ AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t' }),
    );
    const openai = pool.get(
      plugin,
      plugin.parseConfig({ AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t' }),
    );
    expect(openai).toBe(copilot);
    expect(pool.size).toBe(1);
    pool.start();
    const first = request();
    const second = request();
    const attached = Promise.all([copilot.attach(first), openai.attach(second)]);
    await vi.advanceTimersByTimeAsync(50);
    await attached;
    expect(exchanges).toHaveLength(1);
    expect([first.headers.authorization, second.headers.authorization]).toEqual([
      'Bearer token-for-keyless-test',
      'Bearer token-for-keyless-test',
    ]);
  });

  it("attaches in each route's wire format from one cache and one exchange", async () => {
    const keyPlugin = createTestPlugin({ exchange, wireFormats: ['api-key', 'bearer'] });
    const config = keyPlugin.parseConfig({ AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t' });
    const azure = pool.get(keyPlugin, config, 'api-key');
    const openai = pool.get(keyPlugin, config, 'bearer');
    expect(pool.size).toBe(1);
    pool.start();
    const first = request();
    const second = request();
    const attached = Promise.all([azure.attach(first), openai.attach(second)]);
    await vi.advanceTimersByTimeAsync(50);
    await attached;
    expect(exchanges).toHaveLength(1);
    expect(first.headers).toEqual({ 'api-key': 'token-for-keyless-test' });
    expect(second.headers).toEqual({ authorization: 'Bearer token-for-keyless-test' });
  });

  it('keeps different identities apart', () => {
    const a = pool.get(
      plugin,
      plugin.parseConfig({ AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t' }),
    );
    const b = pool.get(
      plugin,
      plugin.parseConfig({
        AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t',
        AWF_AUTH_OIDC_AUDIENCE: 'other',
      }),
    );
    expect(b).not.toBe(a);
    expect(pool.size).toBe(2);
  });

  it('starts every credential, also those created after start, and closes them all', async () => {
    const env = { AWF_AUTH_TEST_TOKEN_URL: 'http://127.0.0.1:1/t' };
    pool.get(plugin, plugin.parseConfig(env));
    pool.start();
    pool.get(plugin, plugin.parseConfig({ ...env, AWF_AUTH_OIDC_AUDIENCE: 'late' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(exchanges.map((entry) => entry.audience)).toEqual(['keyless-test', 'late']);
    pool.close();
    expect(exchanges.every((entry) => entry.signal.aborted)).toBe(true);
    await vi.advanceTimersByTimeAsync(50); // the fake exchanges ignore their signal and finish
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * 3_600_000);
    expect(exchanges).toHaveLength(2);
  });
});
