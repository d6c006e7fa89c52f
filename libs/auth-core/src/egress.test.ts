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
import { ConfigError } from './errors.ts';
import {
  createEgressDispatcher,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  egressProxySecrets,
  parseEgressProxy,
  proxyUrlFor,
} from './egress.ts';

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

describe('parseEgressProxy', () => {
  it('is empty and frozen without proxy variables', () => {
    const proxy = parseEgressProxy({ PATH: '/bin' });
    expect(proxy).toEqual({});
    expect(Object.isFrozen(proxy)).toBe(true);
  });

  it('reads both spellings, the lower-case one winning as in undici and curl', () => {
    expect(
      parseEgressProxy({
        HTTP_PROXY: 'http://upper:3128',
        http_proxy: 'http://lower:3128',
        HTTPS_PROXY: 'https://secure:3129',
        no_proxy: 'localhost,.internal:8443',
        NO_PROXY: 'ignored',
      }),
    ).toEqual({
      httpProxy: 'http://lower:3128/',
      httpsProxy: 'https://secure:3129/',
      noProxy: 'localhost,.internal:8443',
    });
  });

  it('treats blank values as unset and trims the others', () => {
    expect(parseEgressProxy({ https_proxy: ' ', HTTPS_PROXY: ' http://p:1 ' })).toEqual({
      httpsProxy: 'http://p:1/',
    });
    expect(parseEgressProxy({ no_proxy: '', NO_PROXY: ' * ' })).toEqual({ noProxy: '*' });
  });

  it('reads a bare host:port as http://, as curl does', () => {
    expect(parseEgressProxy({ HTTPS_PROXY: 'proxy.internal:3128' }).httpsProxy).toBe(
      'http://proxy.internal:3128/',
    );
  });

  it.each([
    ['https_proxy', 'socks5://user:hunter22@proxy:1080'],
    ['HTTP_PROXY', 'http://user:hunter22@[bad'],
    ['HTTPS_PROXY', 'ftp://user:hunter22@proxy:21'],
  ])('refuses %s=%s, naming the variable without echoing the value', (name, value) => {
    let error: unknown;
    try {
      parseEgressProxy({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      new RegExp(`^${name}: must be an http:// or https:// proxy URL`),
    );
    expect((error as Error).message).not.toContain('hunter22');
  });
});

describe('egressProxySecrets', () => {
  it('returns proxy passwords, as written and decoded, once each', () => {
    const proxy = parseEgressProxy({
      HTTPS_PROXY: 'http://ci:p%40ss-word@proxy:3128',
      HTTP_PROXY: 'http://ci:p%40ss-word@proxy:3128',
    });
    expect(egressProxySecrets(proxy)).toEqual(['p%40ss-word', 'p@ss-word']);
  });

  it('is empty for proxies without a password', () => {
    expect(egressProxySecrets(parseEgressProxy({ HTTP_PROXY: 'http://user@proxy:3128' }))).toEqual(
      [],
    );
    expect(egressProxySecrets({})).toEqual([]);
  });

  it('keeps a password whose % is not an escape', () => {
    expect(egressProxySecrets({ httpProxy: 'http://u:100%zz@proxy/' })).toEqual(['100%zz']);
  });
});

describe('proxyUrlFor', () => {
  const AUTHORITY = 'https://login.microsoftonline.com';

  it('is direct without a proxy, whatever process.env says', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://from-process-env:1');
    expect(proxyUrlFor({}, AUTHORITY)).toBeUndefined();
  });

  it('uses HTTPS_PROXY for https and wss targets, falling back to HTTP_PROXY', () => {
    const both = parseEgressProxy({ HTTPS_PROXY: 'http://secure:1', HTTP_PROXY: 'http://plain:2' });
    expect(proxyUrlFor(both, AUTHORITY)).toBe('http://secure:1/');
    expect(proxyUrlFor(both, new URL('wss://api.example.com/v1/responses'))).toBe(
      'http://secure:1/',
    );
    expect(proxyUrlFor(both, 'http://example.test')).toBe('http://plain:2/');
    expect(proxyUrlFor(both, 'ws://example.test')).toBe('http://plain:2/');
    expect(proxyUrlFor({ httpProxy: 'http://plain:2/' }, AUTHORITY)).toBe('http://plain:2/');
    expect(proxyUrlFor({ httpsProxy: 'http://secure:1/' }, 'http://example.test')).toBeUndefined();
  });

  it.each([
    '*',
    'login.microsoftonline.com',
    'microsoftonline.com',
    '.microsoftonline.com',
    '*.microsoftonline.com',
    'localhost, login.microsoftonline.com:443',
    'localhost login.microsoftonline.com',
    'LOGIN.MICROSOFTONLINE.COM',
  ])('NO_PROXY=%j bypasses the proxy', (noProxy) => {
    expect(proxyUrlFor({ httpsProxy: 'http://p:3128/', noProxy }, AUTHORITY)).toBeUndefined();
  });

  it.each([
    'login.microsoftonline.com:8443',
    'other.com',
    'online.com',
    'gin.microsoftonline.com',
    'localhost,*',
  ])('NO_PROXY=%j does not match the authority', (noProxy) => {
    expect(proxyUrlFor({ httpsProxy: 'http://p:3128/', noProxy }, AUTHORITY)).toBe(
      'http://p:3128/',
    );
  });

  it('compares ports, default ports included, and IPv6 hosts with brackets', () => {
    const proxy = { httpsProxy: 'http://p:3128/', noProxy: '127.0.0.1:8443,[::1],example.com:443' };
    expect(proxyUrlFor(proxy, 'https://127.0.0.1:8443')).toBeUndefined();
    expect(proxyUrlFor(proxy, 'https://127.0.0.1:9443')).toBe('http://p:3128/');
    expect(proxyUrlFor(proxy, 'https://[::1]:8443')).toBeUndefined();
    expect(proxyUrlFor(proxy, 'https://api.example.com')).toBeUndefined();
    expect(proxyUrlFor(proxy, 'https://api.example.com:8443')).toBe('http://p:3128/');
  });
});

describe('createEgressDispatcher: proxy', () => {
  it('goes through HTTP_PROXY with CONNECT', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    const body = await get(
      dispatcher({ proxy: parseEgressProxy({ HTTP_PROXY: proxy.url }) }),
      `${origin}/v1/models`,
    );
    expect(body).toBe('origin saw /v1/models');
    expect(proxy.tunnels).toEqual([new URL(origin).host]);
  });

  it('uses the lower-case variable, which wins over upper case', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    const env = { http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:1' };
    expect(await get(dispatcher({ proxy: parseEgressProxy(env) }), `${origin}/x`)).toBe(
      'origin saw /x',
    );
    expect(proxy.tunnels).toHaveLength(1);
  });

  // The same table decides for agents (proxyUrlFor) and for the dispatcher: both must agree.
  it.each([
    ['127.0.0.1', false],
    ['127.0.0.1:PORT', false],
    ['example.com, 127.0.0.1', false],
    ['*', false],
    ['localhost', true],
    ['127.0.0.0/8', true],
    ['127.0.0.1:1', true],
    ['localhost,*', true],
  ])('NO_PROXY=%s: proxied %s, as proxyUrlFor says', async (noProxy, proxied) => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    const port = new URL(origin).port;
    const parsed = parseEgressProxy({
      HTTP_PROXY: proxy.url,
      NO_PROXY: noProxy.replace('PORT', port),
    });
    expect(await get(dispatcher({ proxy: parsed }), `${origin}/x`)).toBe('origin saw /x');
    expect(proxy.tunnels).toHaveLength(proxied ? 1 : 0);
    expect(proxyUrlFor(parsed, origin) !== undefined).toBe(proxied);
  });

  it('never reads process.env', async () => {
    const proxy = await startProxy();
    const origin = await startOrigin();
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('http_proxy', proxy.url);
    expect(await get(dispatcher(), `${origin}/x`)).toBe('origin saw /x');
    expect(await get(dispatcher({ proxy: {} }), `${origin}/y`)).toBe('origin saw /y');
    expect(proxy.tunnels).toEqual([]);
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
    await expect(get(dispatcher(), `${origin}/`)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('refuses a self-signed certificate behind HTTPS_PROXY', async () => {
    const proxy = await startProxy();
    const origin = await startHttpsOrigin();
    await expect(
      get(dispatcher({ proxy: parseEgressProxy({ HTTPS_PROXY: proxy.url }) }), `${origin}/`),
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
      const response = await createEgressDispatcher().request({ origin: process.argv[2], path: '/', method: 'GET' });
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
    const silent = dispatcher({ timeoutMs: 50 });
    await expect(get(silent, `http://${address}/`)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });
});
