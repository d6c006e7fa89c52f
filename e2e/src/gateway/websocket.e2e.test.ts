import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebSocketUpstream } from '@keyless/fakes';
import type { WebSocketUpstream } from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const KEY = 'sk-websocket-openai-0123456789';
const CLIENT_KEY = 'ws-client-key-0123456789';

function openSocket(url: string, headers: Record<string, string>, protocols: string[] = []) {
  const ws = new WebSocket(url, protocols, { headers });
  return new Promise<{ ws: WebSocket; response: http.IncomingMessage }>((resolve, reject) => {
    ws.once('upgrade', (response) => ws.once('open', () => resolve({ ws, response })));
    ws.once('unexpected-response', (_req, response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () =>
        reject(
          Object.assign(new Error(`status ${response.statusCode}`), {
            status: response.statusCode,
            body,
          }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

const nextMessage = (ws: WebSocket) =>
  new Promise<{ data: string; isBinary: boolean }>((resolve) =>
    ws.once('message', (data, isBinary) => resolve({ data: data.toString(), isBinary })),
  );
const closed = (ws: WebSocket) =>
  new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('WebSocket upgrades', () => {
  let upstream: WebSocketUpstream;
  let gateway: GatewayProcess;
  let wsUrl: string;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    gateway = await startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: upstream.url,
      KEYLESS_CLIENT_KEY: CLIENT_KEY,
      KEYLESS_SHUTDOWN_GRACE_MS: '300',
    });
    wsUrl = gateway.url('openai').replace('http:', 'ws:');
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('attaches the credential to the upgrade, relays messages and close codes both ways', async () => {
    const { ws, response } = await openSocket(
      `${wsUrl}/v1/responses?key=client-q`,
      { authorization: `Bearer ${CLIENT_KEY}`, cookie: 's=1', 'x-session': 'abc' },
      ['realtime'],
    );
    expect(response.headers['x-upstream-session']).toBe('s-1');
    expect(ws.protocol).toBe('realtime');
    const seen = upstream.handshakes.at(-1)!;
    expect(seen.authorization).toBe(`Bearer ${KEY}`);
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-session']).toBe('abc');

    const text = nextMessage(ws);
    ws.send('{"type":"response.create"}');
    expect(await text).toEqual({ data: '{"type":"response.create"}', isBinary: false });
    const binary = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]));
    expect((await binary).isBinary).toBe(true);

    const code = closed(ws);
    ws.send('close-4001');
    expect(await code).toBe(4001);

    const second = (await openSocket(`${wsUrl}/v1/responses`, { 'api-key': CLIENT_KEY })).ws;
    const before = upstream.closes.length;
    second.close(4000, 'client done');
    await expect.poll(() => upstream.closes.slice(before)).toEqual([4000]);
  });

  it('passes an upstream refusal through with its status and body', async () => {
    upstream.refuseWith({ status: 403, body: '{"error":{"message":"model not allowed"}}' });
    try {
      await expect(
        openSocket(`${wsUrl}/v1/responses`, { authorization: `Bearer ${CLIENT_KEY}` }),
      ).rejects.toMatchObject({
        status: 403,
        body: '{"error":{"message":"model not allowed"}}',
      });
    } finally {
      upstream.refuseWith(undefined);
    }
  });

  it('refuses a missing client key and a bad target in the route error shape, without reaching the upstream', async () => {
    const before = upstream.handshakes.length;
    const refused = await openSocket(`${wsUrl}/v1/responses`, {}).catch(
      (error: { status: number; body: string }) => error,
    );
    expect(refused).toMatchObject({ status: 401 });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({
      error: { code: 'unauthorized_client' },
    });
    expect(upstream.handshakes.length).toBe(before);
  });

  it('closes open sockets with 1001 after the drain bound on shutdown', async () => {
    const { ws } = await openSocket(`${wsUrl}/v1/responses`, {
      authorization: `Bearer ${CLIENT_KEY}`,
    });
    const code = closed(ws);
    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect(await code).toBe(1001);
    expect(gateway.output()).not.toContain(KEY);
  });
});
