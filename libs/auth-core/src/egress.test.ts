// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEgressDispatcher, DEFAULT_UPSTREAM_TIMEOUT_MS } from './egress.ts';

const servers: Server[] = [];
const dispatchers: Dispatcher[] = [];

async function listen<T extends Server>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A CONNECT proxy that only tunnels to 127.0.0.1 and records each tunnel's target. */
async function startProxy() {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const port = Number(new URL(`http://${req.url ?? ''}`).port);
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { url: `http://${await listen(server)}`, tunnels };
}

async function startOrigin() {
  const server = createServer((req, res) => res.end(`origin saw ${req.url}`));
  return `http://${await listen(server)}`;
}

function dispatcher(...args: Parameters<typeof createEgressDispatcher>): Dispatcher {
  const created = createEgressDispatcher(...args);
  dispatchers.push(created);
  return created;
}

async function get(via: Dispatcher, url: string): Promise<string> {
  const { origin, pathname } = new URL(url);
  const response = await via.request({ origin, path: pathname, method: 'GET' });
  return response.body.text();
}

/** A self-signed certificate for 127.0.0.1 that can serve as its own trust anchor. */
async function selfSigned(): Promise<{ key: string; cert: string }> {
  const { crypto } = globalThis;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=127.0.0.1',
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), cert: cert.toString('pem') };
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(dispatchers.splice(0).map((d) => d.destroy()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('createEgressDispatcher: proxy', () => {
  it('goes through HTTP_PROXY with CONNECT', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    const body = await get(dispatcher({ env: { HTTP_PROXY: proxy.url } }), `${origin}/v1/models`);
    expect(body).toBe('origin saw /v1/models');
    expect(proxy.tunnels).toEqual([new URL(origin).host]);
  });

  it('reads the lower-case variable, which wins over upper case', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    const env = { http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:1' };
    expect(await get(dispatcher({ env }), `${origin}/x`)).toBe('origin saw /x');
    expect(proxy.tunnels).toHaveLength(1);
  });

  it.each(['127.0.0.1', '127.0.0.1:PORT', 'example.com, 127.0.0.1', '*'])(
    'connects directly when NO_PROXY=%s matches',
    async (noProxy) => {
      const proxy = await startProxy();
      const origin = await startOrigin();
      const port = new URL(origin).port;
      const env = { HTTP_PROXY: proxy.url, NO_PROXY: noProxy.replace('PORT', port) };
      expect(await get(dispatcher({ env }), `${origin}/x`)).toBe('origin saw /x');
      expect(proxy.tunnels).toEqual([]);
    },
  );

  // undici compares NO_PROXY entries as strings: no name resolution, no CIDR.
  it.each(['localhost', '127.0.0.0/8', '127.0.0.1:1'])(
    'still proxies 127.0.0.1 when NO_PROXY=%s',
    async (noProxy) => {
      const proxy = await startProxy();
      const origin = await startOrigin();
      await get(dispatcher({ env: { HTTP_PROXY: proxy.url, NO_PROXY: noProxy } }), `${origin}/x`);
      expect(proxy.tunnels).toHaveLength(1);
    },
  );

  it('uses only the given env, not process.env', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('http_proxy', proxy.url);
    expect(await get(dispatcher({ env: {} }), `${origin}/x`)).toBe('origin saw /x');
    expect(proxy.tunnels).toEqual([]);
  });

  it('defaults to process.env', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    vi.stubEnv('http_proxy', proxy.url);
    vi.stubEnv('no_proxy', '');
    await get(dispatcher(), `${origin}/x`);
    expect(proxy.tunnels).toHaveLength(1);
  });
});

describe('createEgressDispatcher: TLS', () => {
  let tls: { key: string; cert: string };
  let dir: string;

  beforeAll(async () => {
    tls = await selfSigned();
    dir = await mkdtemp(join(tmpdir(), 'keyless-egress-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startHttpsOrigin() {
    return `https://${await listen(createHttpsServer(tls, (_req, res) => res.end('tls ok')))}`;
  }

  it('refuses a self-signed certificate', async () => {
    const origin = await startHttpsOrigin();
    await expect(get(dispatcher({ env: {} }), `${origin}/`)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('refuses a self-signed certificate behind HTTPS_PROXY', async () => {
    const proxy = await startProxy();
    const origin = await startHttpsOrigin();
    await expect(
      get(dispatcher({ env: { HTTPS_PROXY: proxy.url } }), `${origin}/`),
    ).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(proxy.tunnels).toEqual([new URL(origin).host]);
  });

  it('trusts the certificate when NODE_EXTRA_CA_CERTS names it (read at process start)', async () => {
    const origin = await startHttpsOrigin();
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, tls.cert);
    const script = `
      const { createEgressDispatcher } = await import(process.argv[1]);
      const response = await createEgressDispatcher({ env: {} }).request({ origin: process.argv[2], path: '/', method: 'GET' });
      process.stdout.write(await response.body.text());
      process.exit(0);`;
    const egress = fileURLToPath(new URL('./egress.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, egress, origin],
      { env: { PATH: process.env['PATH'], NODE_EXTRA_CA_CERTS: caFile } },
    );
    expect(stdout).toBe('tls ok');
  });
});

describe('createEgressDispatcher: timeouts', () => {
  it('defaults to 600 s', () => {
    expect(DEFAULT_UPSTREAM_TIMEOUT_MS).toBe(600_000);
  });

  it('applies timeoutMs to the response headers', async () => {
    const address = await listen(createServer(() => {}));
    const silent = dispatcher({ env: {}, timeoutMs: 50 });
    await expect(get(silent, `http://${address}/`)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });
});
