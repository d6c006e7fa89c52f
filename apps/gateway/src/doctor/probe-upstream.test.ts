import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redactor } from '@keyless/auth-core';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS } from '../config/flavors.ts';
import type { RouteConfig } from '../config/gateway-config.ts';
import { probeUpstream } from './probe-upstream.ts';

let server: http.Server;
let origin: string;
const seen: Array<{ url: string; key: string | undefined }> = [];
const dispatcher = new Agent();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', key: req.headers['x-api-key'] as string | undefined });
    const ok = req.headers['x-api-key'] === 'good-key';
    res.writeHead(ok ? 404 : 401, { 'content-type': 'application/json' }).end('{"error":{}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dispatcher.close();
  await new Promise((resolve) => server.close(resolve));
});

function route(at = origin): RouteConfig {
  return {
    name: 'anthropic',
    port: 10001,
    upstream: { origin: at, basePath: '/base' },
    flavor: FLAVORS.anthropic,
    auth: { kind: 'unconfigured', configuredBy: 'ANTHROPIC_API_KEY' },
  } as unknown as RouteConfig;
}

const withKey = (key: string) => ({
  attach: (request: { headers: Record<string, string> }) =>
    void (request.headers['x-api-key'] = key),
  dispatcher,
  redactor: new Redactor(),
});

describe('probeUpstream', () => {
  it("GETs the flavor's cheap path under the base path with the credential; any answer but a refusal passes", async () => {
    const step = await probeUpstream(route(), withKey('good-key'));
    expect(step).toMatchObject({ name: 'probe', status: 'ok' });
    expect(step.detail).toBe('GET /base/v1/models answered HTTP 404: credential accepted');
    expect(seen.at(-1)).toEqual({ url: '/base/v1/models', key: 'good-key' });
  });

  it('fails with a fix when the upstream refuses the credential', async () => {
    const step = await probeUpstream(route(), withKey('bad-key'));
    expect(step).toMatchObject({ status: 'fail', code: 'KEYLESS_ERR_PROBE_REFUSED' });
    expect(step.fix).toContain('give the identity access');
  });

  it('fails with a fix when the upstream cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const step = await probeUpstream(route(`http://127.0.0.1:${port}`), withKey('good-key'));
    expect(step).toMatchObject({ status: 'fail', code: 'KEYLESS_ERR_PROBE_UNREACHABLE' });
    expect(step.detail).toContain('ECONNREFUSED');
  });
});
