import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startFakeServer, type FakeServer } from './fake-server.ts';
import { startForwardProxy, type ForwardProxy } from './forward-proxy.ts';
import { createTestCa, type TestCa } from './tls.ts';

/** Sends a CONNECT for `authority`; resolves the proxy's status and, on 200, the tunnel socket. */
function connect(
  proxy: ForwardProxy,
  authority: string,
): Promise<{ status: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
    });
    request.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    request.on('error', reject);
    request.end();
  });
}

/** Sends one request with the given request target to the proxy; resolves status and body. */
function viaProxy(
  proxy: ForwardProxy,
  target: string,
  host: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: proxy.port, path: target, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('startForwardProxy', () => {
  let ca: TestCa;
  let proxy: ForwardProxy;
  let secure: FakeServer;
  let plain: FakeServer;

  beforeAll(async () => {
    ca = await createTestCa();
    proxy = await startForwardProxy();
    secure = await startFakeServer((r, res) => sendJson(res, 200, { over: 'tls', url: r.url }), {
      tls: await ca.issue(),
    });
    plain = await startFakeServer((r, res) => sendJson(res, 200, { over: 'http', url: r.url }));
  });
  afterAll(async () => {
    await proxy.close();
    await secure.close();
    await plain.close();
  });

  it('tunnels CONNECT to an HTTPS server and records host:port', async () => {
    const authority = `localhost:${secure.port}`;
    const { status, socket } = await connect(proxy, authority);
    expect(status).toBe(200);
    const body = await new Promise<string>((resolve, reject) => {
      const request = https.request(
        {
          host: 'localhost',
          port: secure.port,
          path: '/v1/chat/completions?q=1',
          agent: false,
          ca: ca.certPem,
          // TLS to the target inside the tunnel, with the request's own TLS options (ca, servername).
          createConnection: (options) =>
            tls.connect({ ...(options as tls.ConnectionOptions), socket }),
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(JSON.parse(body)).toEqual({ over: 'tls', url: '/v1/chat/completions?q=1' });
    expect(proxy.connects).toContain(authority);
    expect(secure.count('/v1/chat/completions')).toBe(1);
  });

  it('forwards an absolute-form plain-HTTP request and records the absolute target', async () => {
    const target = `${plain.url}/v1/models?x=1`;
    const res = await viaProxy(proxy, target, `127.0.0.1:${plain.port}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ over: 'http', url: '/v1/models?x=1' });
    expect(proxy.requests).toContain(target);
    expect(plain.requests.at(-1)?.headers['proxy-connection']).toBeUndefined();
  });

  it('refuses origin-form requests with 400 and does not record them as proxied', async () => {
    const before = proxy.requests.length;
    const res = await viaProxy(proxy, '/v1/models', 'example.test');
    expect(res.status).toBe(400);
    expect(proxy.requests.length).toBe(before);
  });

  it('answers 502 to a CONNECT whose target is unreachable', async () => {
    const closed = await startFakeServer(() => {});
    const authority = `127.0.0.1:${closed.port}`;
    await closed.close();
    const { status, socket } = await connect(proxy, authority);
    socket.destroy();
    expect(status).toBe(502);
    expect(proxy.connects.at(-1)).toBe(authority);
  });
});

describe('startForwardProxy({refuse: true})', () => {
  it('answers every tunnel and request with 403 and records them', async () => {
    const proxy = await startForwardProxy({ refuse: true });
    try {
      const tunnel = await connect(proxy, '127.0.0.1:443');
      tunnel.socket.destroy();
      expect(tunnel.status).toBe(403);
      const plain = await viaProxy(proxy, 'http://127.0.0.1:9/x', '127.0.0.1:9');
      expect(plain.status).toBe(403);
      expect(proxy.connects).toEqual(['127.0.0.1:443']);
      expect(proxy.requests).toEqual(['http://127.0.0.1:9/x']);
    } finally {
      await proxy.close();
    }
  });
});
