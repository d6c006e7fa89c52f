import { bearerOf } from '@keyless/fakes';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FEDERATION_RULE_ID,
  ORGANIZATION_ID,
  SERVICE_ACCOUNT_ID,
  startAnthropicRig,
  type AnthropicRig,
} from './anthropic-rig.ts';

const MESSAGE = {
  model: 'claude-sonnet-4-5',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
};
const CLIENT_BETA = 'prompt-caching-2024-07-31';

describe('Anthropic workload identity federation on the anthropic route (real gateway process)', () => {
  let rig: AnthropicRig;

  beforeAll(async () => {
    rig = await startAnthropicRig();
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('sends the exchanged token as Bearer with the OAuth beta merged into the client betas, never x-api-key', async () => {
    const res = await rig.post('/v1/messages', MESSAGE, { 'anthropic-beta': CLIENT_BETA });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'message', role: 'assistant' });

    const seen = rig.upstream.requests.at(-1)!;
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(bearerOf(seen)).toBe(rig.tokens.issued.at(-1)!.token);
    expect(seen.headers['anthropic-beta']).toBe(`${CLIENT_BETA},oauth-2025-04-20`);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('exchanged the GitHub token (audience https://api.anthropic.com) with the jwt-bearer grant', async () => {
    const exchange = rig.tokens.requests.find((r) => r.url === '/v1/oauth/token')!;
    const body = JSON.parse(exchange.body.toString('utf8')) as Record<string, string>;
    expect(body).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: rig.issuer.minted[0],
      federation_rule_id: FEDERATION_RULE_ID,
      organization_id: ORGANIZATION_ID,
      service_account_id: SERVICE_ACCOUNT_ID,
    });
    await expect(
      rig.issuer.verify(body.assertion!, { audience: 'https://api.anthropic.com' }),
    ).resolves.toBeTruthy();
    // One exchange serves every request so far: the core caches, the plugin does not.
    expect(rig.tokens.exchanges).toBe(1);
  });

  it('streams the SSE answer event by event', async () => {
    const { upstream } = rig;
    upstream.stream.holdAfter = 2;
    try {
      const res = await fetch(`${rig.gateway.url('anthropic')}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ ...MESSAGE, stream: true }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value, { stream: true });
      expect(text).toContain('event: message_start');
      await upstream.stream.waitFor('held');
      // The client already has its first events while the upstream still holds the rest.
      expect(upstream.stream.completed).toBe(0);
      upstream.stream.release();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += decoder.decode(chunk.value, { stream: true });
      }
      rig.responses.push(text);
      expect(text).toContain('event: message_stop');
    } finally {
      upstream.stream.holdAfter = undefined;
      upstream.stream.release();
    }
    expect(bearerOf(rig.upstream.requests.at(-1)!)).toBe(rig.tokens.issued.at(-1)!.token);
  });

  it('a 401 for a revoked token renews the credential once and replays the request', async () => {
    const before = rig.tokens.exchanges;
    const revoked = rig.tokens.issued.at(-1)!.token;
    rig.tokens.revoke(revoked);
    const upstreamBefore = rig.upstream.requests.length;

    const res = await rig.post('/v1/messages', MESSAGE);
    expect(res.status).toBe(200);
    expect(rig.tokens.exchanges).toBe(before + 1);
    const [refused, replayed] = rig.upstream.requests.slice(upstreamBefore);
    expect(bearerOf(refused!)).toBe(revoked);
    expect(bearerOf(replayed!)).toBe(rig.tokens.issued.at(-1)!.token);
    expect(bearerOf(replayed!)).not.toBe(revoked);
    expect(rig.upstream.requests.length).toBe(upstreamBefore + 2);
  });

  it('leaks no GitHub token, request token or access token into logs or answers', () => {
    expect(rig.leaks()).toEqual([]);
  });
});

describe('Anthropic federation with short-lived tokens (real gateway process)', () => {
  /** Granted lifetime, s: short enough that several refreshes fit in the test. */
  const LIFETIME_S = 4;
  let rig: AnthropicRig;

  beforeAll(async () => {
    rig = await startAnthropicRig({ expiresIn: LIFETIME_S });
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('refreshes before expiry under steady traffic: every request succeeds, no refresh loop', async () => {
    const [acquired] = await rig.waitForEvents('credential.acquired');
    expect(acquired!.remainingSeconds).toBeLessThanOrEqual(LIFETIME_S);
    const statuses: number[] = [];
    const deadline = Date.now() + 30_000;
    while (rig.tokens.exchanges < 3 && Date.now() < deadline) {
      statuses.push((await rig.post('/v1/messages', MESSAGE)).status);
      await sleep(100);
    }
    expect(rig.tokens.exchanges).toBeGreaterThanOrEqual(3);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const times = rig.tokens.requests.map((request) => request.at);
    // Half-life refreshes are seconds apart; a loop would show gaps of milliseconds.
    for (let i = 1; i < times.length; i += 1)
      expect(times[i]! - times[i - 1]!).toBeGreaterThan(1000);
    expect(rig.leaks()).toEqual([]);
  });
});
