import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeServer, sendJson, type FakeServer } from './fake-server.ts';
import { createTestCa, type TestCa } from './tls.ts';

/** GETs `url` with the given trust anchors; resolves the body or rejects with the TLS error. */
function get(url: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}

describe('createTestCa', () => {
  let ca: TestCa;
  let server: FakeServer;

  beforeAll(async () => {
    ca = await createTestCa();
    server = await startFakeServer((_req, res) => sendJson(res, 200, { ok: true }), {
      tls: await ca.issue(),
    });
  });
  afterAll(() => server.close());

  it('close() removes certFile and its directory, once and for all', async () => {
    const other = await createTestCa();
    expect(existsSync(other.certFile)).toBe(true);
    other.close();
    expect(existsSync(dirname(other.certFile))).toBe(false);
    expect(() => other.close()).not.toThrow();
  });

  it('adds no exit listener per CA (one for all, installed by the first)', async () => {
    const before = process.listenerCount('exit');
    const cas = await Promise.all([createTestCa(), createTestCa(), createTestCa()]);
    expect(process.listenerCount('exit')).toBe(before);
    for (const other of cas) other.close();
  });

  it('writes the CA certificate to certFile', () => {
    expect(readFileSync(ca.certFile, 'utf8')).toBe(ca.certPem);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });

  it('issues certificates for the default hosts, signed by the CA', async () => {
    const { cert } = await ca.issue();
    const leaf = new X509Certificate(cert);
    expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.ca).toBe(false);
  });

  it('is trusted by a client that has the CA, by IP and by name', async () => {
    expect(JSON.parse(await get(`${server.url}/x`, ca.certPem))).toEqual({ ok: true });
    expect(JSON.parse(await get(`https://localhost:${server.port}/x`, ca.certPem))).toEqual({
      ok: true,
    });
  });

  it('is trusted by a Node process given certFile as NODE_EXTRA_CA_CERTS (fetch)', async () => {
    const script = `const r = await fetch(process.argv[1]); process.stdout.write(await r.text());`;
    const run = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', script, `${server.url}/x`],
        {
          env: { PATH: process.env.PATH, ...env },
        },
      );
    expect((await run({ NODE_EXTRA_CA_CERTS: ca.certFile })).stdout).toBe('{"ok":true}');
    await expect(run({})).rejects.toThrow(/fetch failed/);
  });

  it('is refused by a client without the CA', async () => {
    await expect(get(`${server.url}/x`)).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('is refused for a host name the certificate does not cover', async () => {
    const other = await startFakeServer((_req, res) => sendJson(res, 200, {}), {
      tls: await ca.issue(['only.example.test']),
    });
    try {
      await expect(get(`${other.url}/x`, ca.certPem)).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await other.close();
    }
  });

  it('is refused by a client trusting a different CA', async () => {
    const stranger = await createTestCa();
    await expect(get(`${server.url}/x`, stranger.certPem)).rejects.toHaveProperty('code');
  });
});
