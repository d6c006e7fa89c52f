import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { parseEgressProxy } from '@keyless/auth-core';
import { fakeAcquireContext, FAKE_GITHUB_CLAIMS } from '@keyless/auth-core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { azurePlugin } from './azure-plugin.ts';
import {
  EntraServerError,
  EntraUnreachableError,
  FederatedCredentialMismatchError,
  TenantNotFoundError,
} from './errors.ts';
import {
  json,
  listen,
  LOCAL_TENANT,
  startLocalEntra,
  type LocalEntra,
} from './test-support/local-entra.ts';
import { selfSignedCertificate } from './test-support/self-signed.ts';

/*
 * The real @azure/identity ClientAssertionCredential against a tiny Entra on 127.0.0.1 over TLS.
 * The SDK reads NODE_EXTRA_CA_CERTS only at process start, so the test trusts its self-signed
 * certificate through tls.setDefaultCACertificates (Node >= 22.19), which every new TLS socket uses.
 */

const TENANT = LOCAL_TENANT;
const CLIENT = '11111111-2222-3333-4444-555555555555';

/** An HTTP CONNECT proxy that records the targets it tunnels to. */
async function startConnectProxy() {
  const targets: string[] = [];
  const tunnels = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    tunnels.add(client);
    client.on('close', () => tunnels.delete(client));
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const tunnel of tunnels) tunnel.destroy();
      }),
  };
}

describe('azurePlugin against a local Entra over TLS (real SDK)', () => {
  let entra: LocalEntra;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  const env = () => ({
    AWF_AUTH_AZURE_TENANT_ID: TENANT,
    AWF_AUTH_AZURE_CLIENT_ID: CLIENT,
    AZURE_AUTHORITY_HOST: entra.url,
  });

  beforeAll(async () => {
    const credentials = await selfSignedCertificate();
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), credentials.cert]);
    entra = await startLocalEntra(credentials);
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await entra.close();
    await proxy.close();
  });
  afterEach(() => {
    entra.requests.length = 0;
    proxy.targets.length = 0;
    entra.setToken((_req, res) =>
      json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: 'entra-at-1' }),
    );
  });

  it('makes exactly the metadata GET and the client-assertion POST, and reads token and expiry', async () => {
    const context = fakeAcquireContext();
    const before = Date.now();
    const credential = await azurePlugin.acquire(azurePlugin.parseConfig(env()), context);

    expect(credential.material).toBe('entra-at-1');
    // MSAL keeps whole (rounded) seconds: expiry = receipt time + expires_in.
    expect(credential.expiresAt).toBeGreaterThanOrEqual(before - 1000 + 3_599_000);
    expect(credential.expiresAt).toBeLessThanOrEqual(Date.now() + 1000 + 3_599_000);
    expect(context.minted).toHaveLength(1);
    expect(context.secrets).toContain('entra-at-1');

    expect(entra.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const post = entra.requests[1]!;
    expect(post.contentType).toContain('application/x-www-form-urlencoded');
    expect(
      Object.fromEntries(
        ['client_id', 'scope', 'grant_type', 'client_assertion_type', 'client_assertion'].map(
          (k) => [k, post.form.get(k)],
        ),
      ),
    ).toEqual({
      client_id: CLIENT,
      scope: 'https://cognitiveservices.azure.com/.default',
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: context.minted[0],
    });
  });

  it('performs a real exchange on every acquisition (no SDK cache in the way)', async () => {
    let n = 0;
    entra.setToken((_req, res) =>
      json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: `at-${++n}` }),
    );
    const config = azurePlugin.parseConfig(env());
    const context = fakeAcquireContext();
    expect((await azurePlugin.acquire(config, context)).material).toBe('at-1');
    expect((await azurePlugin.acquire(config, context)).material).toBe('at-2');
    expect(entra.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(entra.requests[3]?.form.get('client_assertion')).toBe(context.minted[1]);
  });

  it('turns an AADSTS70021 answer into a federated-credential mismatch naming the subject', async () => {
    entra.setToken((_req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description:
          "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://token.actions.githubusercontent.com'.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-11-28 12:00:00Z",
        error_codes: [70021],
      }),
    );
    const error = await azurePlugin
      .acquire(azurePlugin.parseConfig(env()), fakeAcquireContext())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FederatedCredentialMismatchError);
    const mismatch = error as FederatedCredentialMismatchError;
    expect(mismatch.message).toContain('AADSTS70021: No matching federated identity record found');
    expect(mismatch.message).not.toContain('Trace ID');
    expect(mismatch.fix).toContain(
      `subject ${FAKE_GITHUB_CLAIMS.sub}, audience api://AzureADTokenExchange on app ${CLIENT}`,
    );
  });

  it('recovers "tenant not found" from a failed metadata fetch', async () => {
    entra.setMetadata((_req, res) =>
      json(res, 400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${TENANT}' not found.\r\nTrace ID: 1`,
        error_codes: [90002],
      }),
    );
    try {
      await expect(
        azurePlugin.acquire(azurePlugin.parseConfig(env()), fakeAcquireContext()),
      ).rejects.toBeInstanceOf(TenantNotFoundError);
    } finally {
      entra.setMetadata();
    }
  });

  it('retries a 5xx once in the SDK, then reports a retryable server error', async () => {
    entra.setToken((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'));
    const error = await azurePlugin
      .acquire(azurePlugin.parseConfig(env()), fakeAcquireContext())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraServerError);
    expect((error as EntraServerError).retryable).toBe(true);
    expect(entra.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('reports a refused connection as unreachable', async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const config = azurePlugin.parseConfig({
      ...env(),
      AZURE_AUTHORITY_HOST: `https://127.0.0.1:${port}`,
    });
    const error = await azurePlugin.acquire(config, fakeAcquireContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraUnreachableError);
    expect((error as EntraUnreachableError).message).toContain('ECONNREFUSED');
  });

  it('reports an untrusted certificate with the NODE_EXTRA_CA_CERTS fix', async () => {
    const untrusted = await startLocalEntra(await selfSignedCertificate());
    try {
      const config = azurePlugin.parseConfig({ ...env(), AZURE_AUTHORITY_HOST: untrusted.url });
      const error = await azurePlugin
        .acquire(config, fakeAcquireContext())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EntraUnreachableError);
      expect((error as EntraUnreachableError).fix).toContain('NODE_EXTRA_CA_CERTS');
      expect(untrusted.requests).toHaveLength(0);
    } finally {
      await untrusted.close();
    }
  });

  it("tunnels through the core egress's HTTPS_PROXY, and not when NO_PROXY matches", async () => {
    const config = azurePlugin.parseConfig(env());
    const proxied = fakeAcquireContext({ egress: parseEgressProxy({ HTTPS_PROXY: proxy.url }) });
    expect((await azurePlugin.acquire(config, proxied)).material).toBe('entra-at-1');
    expect(proxy.targets.length).toBeGreaterThan(0);
    expect(new Set(proxy.targets)).toEqual(new Set([new URL(entra.url).host]));

    proxy.targets.length = 0;
    const direct = fakeAcquireContext({
      egress: parseEgressProxy({ HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' }),
    });
    expect((await azurePlugin.acquire(config, direct)).material).toBe('entra-at-1');
    expect(proxy.targets).toEqual([]);
    await Promise.all([proxied.close(), direct.close()]);
  });

  it('ignores a process-wide HTTPS_PROXY that the configuration does not carry', async () => {
    const saved = process.env['HTTPS_PROXY'];
    process.env['HTTPS_PROXY'] = proxy.url; // the SDK's own proxy policy would pick this up
    try {
      expect(
        (await azurePlugin.acquire(azurePlugin.parseConfig(env()), fakeAcquireContext())).material,
      ).toBe('entra-at-1');
      expect(proxy.targets).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env['HTTPS_PROXY'];
      else process.env['HTTPS_PROXY'] = saved;
    }
  });

  it('aborts the token request in flight when the signal fires', async () => {
    let arrived!: () => void;
    const tokenRequested = new Promise<void>((resolve) => (arrived = resolve));
    let closedByClient!: Promise<void>;
    entra.setToken((req) => {
      closedByClient = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      arrived(); // never answers
    });
    const context = fakeAcquireContext();
    const acquisition = azurePlugin.acquire(azurePlugin.parseConfig(env()), context);
    await tokenRequested;
    context.controller.abort(new Error('shutdown'));
    await expect(acquisition).rejects.toThrow('shutdown');
    await closedByClient; // the socket was torn down, not left hanging
  });
});
