import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEgressAgent } from './egress-agent.ts';

const servers: http.Server[] = [];
const agents: http.Agent[] = [];

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A proxy that tunnels CONNECT to 127.0.0.1 and answers absolute-form requests itself; records both. */
async function startProxy() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end('from proxy');
  });
  server.on('connect', (req, client: Socket) => {
    seen.push(`CONNECT ${req.url}`);
    const upstream = connect(Number(new URL(`http://${req.url}`).port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { url: `http://${await listen(server)}`, seen };
}

/** Node sets it from the options; @types/node does not declare it. */
function keepAlive(created: http.Agent): unknown {
  return (created as http.Agent & { keepAlive?: boolean }).keepAlive;
}

function agent(...args: Parameters<typeof createEgressAgent>): http.Agent {
  const created = createEgressAgent(...args);
  agents.push(created);
  return created;
}

function get(url: string, via: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).get(url, { agent: via }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
}

afterEach(async () => {
  for (const created of agents.splice(0)) created.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('createEgressAgent', () => {
  it('gives an https agent to https and wss targets, a plain one to the others, keep-alive off unless asked', () => {
    expect(agent({}, 'https://login.example')).toBeInstanceOf(https.Agent);
    expect(agent({}, new URL('wss://api.example/v1'))).toBeInstanceOf(https.Agent);
    expect(agent({}, 'http://sts.example')).not.toBeInstanceOf(https.Agent);
    expect(keepAlive(agent({}, 'http://sts.example'))).toBe(false);
    expect(keepAlive(agent({}, 'https://login.example', { keepAlive: true }))).toBe(true);
  });

  it('sends http requests through HTTP_PROXY in absolute form', async () => {
    const proxy = await startProxy();
    const origin = `http://${await listen(http.createServer((_req, res) => res.end('direct')))}`;
    const body = await get(`${origin}/token`, agent({ httpProxy: `${proxy.url}/` }, origin));
    expect(body).toBe('from proxy');
    expect(proxy.seen).toEqual([`GET ${origin}/token`]);
  });

  it('opens a CONNECT tunnel to the target for https through HTTPS_PROXY', async () => {
    const proxy = await startProxy();
    // A plain HTTP origin: the TLS handshake through the tunnel fails, after the tunnel is proven.
    const host = await listen(http.createServer((_req, res) => res.end('plain')));
    const target = `https://${host}`;
    await expect(
      get(`${target}/token`, agent({ httpsProxy: `${proxy.url}/` }, target)),
    ).rejects.toThrow();
    expect(proxy.seen).toEqual([`CONNECT ${host}`]);
  });

  it('goes direct for a NO_PROXY host, with undici rules (host with port)', async () => {
    const proxy = await startProxy();
    const host = await listen(http.createServer((_req, res) => res.end('direct')));
    const egress = { httpProxy: `${proxy.url}/`, noProxy: `example.test, ${host}` };
    expect(await get(`http://${host}/token`, agent(egress, `http://${host}`))).toBe('direct');
    expect(proxy.seen).toEqual([]);
  });
});
