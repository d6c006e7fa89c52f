import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('credential engine through the gateway: single flight and 401 replay', () => {
  let rig: EngineRig;

  beforeAll(async () => {
    rig = await startEngineRig();
    // The eager first exchange hangs at the token service until the requests are waiting.
    rig.service.hold();
    await rig.startGateway();
  });
  afterAll(async () => {
    await rig?.close();
  });

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
    expect(rig.service.count('/token')).toBe(1);
    expect(rig.issuer.count('/token')).toBe(1);
    expect(rig.issuer.minted).toHaveLength(1);
    const token = rig.service.issued[0]!.token;
    expect(rig.upstream.requests).toHaveLength(CONCURRENT);
    for (const request of rig.upstream.requests)
      expect(request.headers.authorization).toBe(`Bearer ${token}`);
    await expect.poll(() => rig.events('credential.acquired').length).toBe(1);
    expect(
      await rig.metric('keyless_credential_refreshes_total', {
        provider: 'test',
        result: 'success',
      }),
    ).toBe(1);
  });

  it('an upstream 401 for a revoked token renews once and replays once; the client sees 200', async () => {
    const exchanges = rig.service.count('/token');
    const upstreamBefore = rig.upstream.requests.length;
    const revoked = rig.service.issued.at(-1)!.token;
    rig.service.revoke(revoked);

    const response = await rig.chat('replay me');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ object: 'chat.completion' });

    expect(rig.service.count('/token')).toBe(exchanges + 1);
    expect(rig.issuer.minted).toHaveLength(exchanges + 1);
    const [first, replay] = rig.upstream.requests.slice(upstreamBefore);
    expect(rig.upstream.requests).toHaveLength(upstreamBefore + 2);
    expect(first!.headers.authorization).toBe(`Bearer ${revoked}`);
    expect(replay!.headers.authorization).toBe(`Bearer ${rig.service.issued.at(-1)!.token}`);
    expect(replay!.body.toString()).toBe(first!.body.toString());
    expect(replay!.body.toString()).toContain('replay me');

    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      1,
    );
    // The request line is written after the response: wait for it.
    const replayed = () => rig.events('request').filter((line) => line.replayed === true);
    await expect.poll(() => replayed().length).toBe(1);
    expect(replayed()[0]).toMatchObject({ status: 200, upstreamStatus: 200, route: 'openai' });
    expect(rig.events('credential.rejected')).toHaveLength(1);
    expect(rig.events('credential.invalidated')).toHaveLength(1);
  });

  it('later requests use the renewed credential without another exchange', async () => {
    const exchanges = rig.service.count('/token');
    expect((await rig.chat()).status).toBe(200);
    expect((await rig.chat()).status).toBe(200);
    expect(rig.service.count('/token')).toBe(exchanges);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      1,
    );
  });

  it('a token rejected again after the replay reaches the client as 401: one replay only', async () => {
    const exchanges = rig.service.count('/token');
    const upstreamBefore = rig.upstream.requests.length;
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
    expect(rig.upstream.requests).toHaveLength(upstreamBefore + 2);
    expect(rig.service.count('/token')).toBe(exchanges + 1);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      2,
    );
    expect((await rig.chat()).status).toBe(200);
  });

  it('a 403 saying the token expired renews and replays like a 401', async () => {
    const exchanges = rig.service.count('/token');
    rig.upstream.inject({
      status: 403,
      times: 1,
      body: JSON.stringify({ error: { code: '403', message: 'The access token expired.' } }),
    });
    expect((await rig.chat()).status).toBe(200);
    expect(rig.service.count('/token')).toBe(exchanges + 1);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      3,
    );
  });

  it('a 403 that does not say the token expired passes through without a replay', async () => {
    const exchanges = rig.service.count('/token');
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
    expect(rig.service.count('/token')).toBe(exchanges);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      3,
    );
  });

  it('canary: no request token, GitHub token or access token in the output or any response', async () => {
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.secrets().length).toBeGreaterThanOrEqual(1 + 4 + 4);
    expect(rig.leaks()).toEqual([]);
    expect(rig.events('request').length).toBeGreaterThanOrEqual(CONCURRENT + 5);
  });
});
