import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEngineRig } from './engine-rig.ts';
import type { EngineRig } from './engine-rig.ts';

/** Concurrent first requests of the single-flight case. */
const CONCURRENT = 60;

interface Sent {
  /** Resolves once the whole request was handed to the socket. */
  readonly written: Promise<void>;
  readonly answered: Promise<{ status: number; body: string }>;
}

/** A chat completion over a connection of its own, reporting when it is fully written. */
function send(base: string, index: number): Sent {
  let written!: () => void;
  const writtenPromise = new Promise<void>((resolve) => (written = resolve));
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(`${base}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { authorization: 'Bearer placeholder-key', 'content-type': 'application/json' },
    });
    request.on('finish', written);
    request.on('error', reject);
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.end(
      JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: `n${index}` }] }),
    );
  });
  return { written: writtenPromise, answered };
}

/** Counters the tests compare before and after what they do; none depends on another test. */
interface Counters {
  /** Exchanges at the token service. */
  readonly exchanges: number;
  /** GitHub tokens minted. */
  readonly minted: number;
  /** Requests the upstream received. */
  readonly upstream: number;
  /** `keyless_replays_total` of the route. */
  readonly replays: number;
  /** `keyless_credential_refreshes_total` successes. */
  readonly refreshes: number;
}

describe('credential engine through the gateway: single flight and 401 replay', () => {
  let rig: EngineRig;

  async function counters(): Promise<Counters> {
    return {
      exchanges: rig.service.count('/token'),
      minted: rig.issuer.minted.length,
      upstream: rig.upstream.requests.length,
      replays: await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' }),
      refreshes: await rig.metric('keyless_credential_refreshes_total', {
        provider: 'test',
        result: 'success',
      }),
    };
  }

  /** What changed since `before`. */
  async function since(before: Counters): Promise<Counters> {
    const now = await counters();
    return {
      exchanges: now.exchanges - before.exchanges,
      minted: now.minted - before.minted,
      upstream: now.upstream - before.upstream,
      replays: now.replays - before.replays,
      refreshes: now.refreshes - before.refreshes,
    };
  }

  /** Log lines that arrive after `before` was taken (lines come after the responses they describe). */
  function linesSince(event: string, before: number) {
    return rig.events(event).slice(before);
  }

  beforeAll(async () => {
    rig = await startEngineRig();
    // The eager first exchange hangs at the token service until the requests are waiting.
    rig.service.hold();
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

  describe('the first exchange', () => {
    it(`${CONCURRENT} concurrent first requests cause exactly one exchange and one GitHub token`, async () => {
      await expect.poll(() => rig.service.held).toBe(1);
      const sent = Array.from({ length: CONCURRENT }, (_, index) =>
        send(rig.gateway.url('openai'), index),
      );
      await Promise.all(sent.map((request) => request.written));
      // Nothing reached the upstream without a credential.
      expect(rig.upstream.count()).toBe(0);

      rig.service.release();
      const answers = await Promise.all(sent.map((request) => request.answered));
      rig.responses.push(...answers.map((answer) => answer.body));

      expect(answers.map((answer) => answer.status)).toEqual(Array(CONCURRENT).fill(200));
      // The gateway started with nothing: these are totals and deltas at once.
      expect(await counters()).toEqual({
        exchanges: 1,
        minted: 1,
        upstream: CONCURRENT,
        replays: 0,
        refreshes: 1,
      });
      const token = rig.service.issued[0]!.token;
      for (const request of rig.upstream.requests)
        expect(request.headers.authorization).toBe(`Bearer ${token}`);
      await expect.poll(() => rig.events('credential.acquired').length).toBe(1);
    });
  });

  describe('renewal and replay', () => {
    beforeAll(async () => {
      // When run on its own, the first exchange is still held: let it through.
      rig.service.release();
      await vi.waitFor(() => expect(rig.events('credential.acquired')).toHaveLength(1));
    });

    it('an upstream 401 for a revoked token renews once and replays once; the client sees 200', async () => {
      const before = await counters();
      const lines = {
        replayed: rig.events('request').filter((line) => line.replayed === true).length,
        rejected: rig.events('credential.rejected').length,
        invalidated: rig.events('credential.invalidated').length,
      };
      const revoked = rig.service.issued.at(-1)!.token;
      rig.service.revoke(revoked);

      const response = await rig.chat('replay me');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toMatchObject({ object: 'chat.completion' });

      expect(await since(before)).toEqual({
        exchanges: 1,
        minted: 1,
        upstream: 2,
        replays: 1,
        refreshes: 1,
      });
      const [first, replay] = rig.upstream.requests.slice(before.upstream);
      expect(first!.headers.authorization).toBe(`Bearer ${revoked}`);
      expect(replay!.headers.authorization).toBe(`Bearer ${rig.service.issued.at(-1)!.token}`);
      expect(replay!.body.toString()).toBe(first!.body.toString());
      expect(replay!.body.toString()).toContain('replay me');

      // The request line is written after the response: wait for it.
      const replayed = () =>
        rig
          .events('request')
          .filter((line) => line.replayed === true)
          .slice(lines.replayed);
      await expect.poll(() => replayed().length).toBe(1);
      expect(replayed()[0]).toMatchObject({ status: 200, upstreamStatus: 200, route: 'openai' });
      expect(linesSince('credential.rejected', lines.rejected)).toHaveLength(1);
      expect(linesSince('credential.invalidated', lines.invalidated)).toHaveLength(1);
    });

    it('later requests use the current credential without another exchange', async () => {
      const before = await counters();
      expect((await rig.chat()).status).toBe(200);
      expect((await rig.chat()).status).toBe(200);
      expect(await since(before)).toEqual({
        exchanges: 0,
        minted: 0,
        upstream: 2,
        replays: 0,
        refreshes: 0,
      });
      const current = `Bearer ${rig.service.issued.at(-1)!.token}`;
      for (const request of rig.upstream.requests.slice(before.upstream))
        expect(request.headers.authorization).toBe(current);
    });

    it('a token rejected again after the replay reaches the client as 401: one replay only', async () => {
      const before = await counters();
      rig.upstream.inject({
        status: 401,
        times: 2,
        body: JSON.stringify({
          error: {
            message: 'Incorrect API key provided.',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      });

      const response = await rig.chat();
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toMatchObject({ error: { code: 'invalid_api_key' } });
      expect(await since(before)).toMatchObject({ exchanges: 1, upstream: 2, replays: 1 });
      expect((await rig.chat()).status).toBe(200);
    });

    it('a 403 saying the token expired renews and replays like a 401', async () => {
      const before = await counters();
      rig.upstream.inject({
        status: 403,
        times: 1,
        body: JSON.stringify({ error: { code: '403', message: 'The access token expired.' } }),
      });
      expect((await rig.chat()).status).toBe(200);
      expect(await since(before)).toMatchObject({ exchanges: 1, upstream: 2, replays: 1 });
    });

    it('a 403 that does not say the token expired passes through without a replay', async () => {
      const before = await counters();
      rig.upstream.inject({
        status: 403,
        times: 1,
        body: JSON.stringify({
          error: {
            message: 'Project does not have access to model gpt-fake',
            type: 'invalid_request_error',
            code: 'model_not_found',
          },
        }),
      });
      const response = await rig.chat();
      expect(response.status).toBe(403);
      expect(response.text).toContain('does not have access');
      expect(await since(before)).toMatchObject({ exchanges: 0, upstream: 1, replays: 0 });
    });
  });

  describe('after everything above', () => {
    it('canary: no request token, GitHub token or access token in the output or any response', async () => {
      rig.service.release();
      // At least one exchange and one answer to scan, whichever tests ran before.
      expect((await rig.chat()).status).toBe(200);
      // The scan covers request lines too: wait until that request's line was written.
      await expect.poll(() => rig.events('request').length).toBeGreaterThanOrEqual(1);
      expect(await rig.stopGateway()).toBe(0);
      // The request token, and at least one GitHub token and one access token.
      expect(rig.secrets().length).toBeGreaterThanOrEqual(3);
      expect(rig.leaks()).toEqual([]);
    });
  });
});
