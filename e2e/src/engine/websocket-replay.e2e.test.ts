import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebSocketUpstream } from '@keyless/fakes';
import type { WebSocketUpstream } from '@keyless/fakes';
import { startEngineRig, type EngineRig } from './engine-rig.ts';

const bearerOf = (authorization: string | undefined) => authorization?.replace(/^Bearer /, '');

/** Opens a socket and resolves once it is open, or rejects with the refusal's status. */
function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { authorization: 'Bearer placeholder-key' } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('WebSocket handshakes with a federated credential', () => {
  let rig: EngineRig;
  let upstream: WebSocketUpstream;

  beforeAll(async () => {
    rig = await startEngineRig();
    upstream = await startWebSocketUpstream({
      authorize: (headers) => rig.service.accepts(bearerOf(headers.authorization)),
    });
    await rig.startGateway({ OPENAI_API_TARGET: upstream.url });
  });
  afterAll(async () => {
    await upstream?.close();
    await rig?.close();
  });

  it('renews a credential the upstream refuses with 401 and retries the handshake once', async () => {
    const url = `${rig.gateway.url('openai').replace('http:', 'ws:')}/v1/responses`;
    const first = await open(url);
    first.close();
    const revoked = bearerOf(upstream.handshakes.at(-1)!.authorization)!;
    expect(rig.service.accepts(revoked)).toBe(true);
    rig.service.revoke(revoked);
    const before = upstream.handshakes.length;

    const second = await open(url);
    const echoed = new Promise<string>((resolve) =>
      second.once('message', (data) => resolve(data.toString())),
    );
    second.send('still here');
    expect(await echoed).toBe('still here');
    second.close();

    const seen = upstream.handshakes
      .slice(before)
      .map((headers) => bearerOf(headers.authorization));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(revoked);
    expect(rig.service.accepts(seen[1])).toBe(true);
    expect(await rig.metric('keyless_replays_total', { route: 'openai', provider: 'test' })).toBe(
      1,
    );
  });

  it('never lets a token reach the output', async () => {
    expect(await rig.stopGateway()).toBe(0);
    expect(rig.leaks()).toEqual([]);
  });
});
