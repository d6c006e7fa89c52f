/**
 * The real google-auth-library, through our transports, against tiny local
 * STS / IAM Credentials servers and a CONNECT proxy: proves the exact wire
 * requests, the answer parsing, the hops, the proxy and the error mapping.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseEgressProxy, type Environment } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireGcpToken } from './acquire-gcp-token.ts';
import {
  GcpAbortedError,
  GcpAudienceMismatchError,
  GcpImpersonationDeniedError,
  GcpMalformedAnswerError,
  GcpUnavailableError,
  GcpUnreachableError,
} from './errors.ts';
import { GCP_IAM_HOP, GCP_STS_HOP } from './gcp-hops.ts';
import { parseGcpConfig } from './gcp-config.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';
const GITHUB_JWT = 'eyJhbGciOiJSUzI1NiJ9.github-subject.signature';
const STS_TOKEN = 'sts-federated-token-0001';
const SA_TOKEN = 'ya29.impersonated-token-0002';

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}
type Responder = (request: Recorded, response: http.ServerResponse) => void;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A local Google: routes by path prefix, records every request. */
async function startGoogle(routes: Record<string, Responder>, events: string[] = []) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(recorded);
      events.push(`request ${recorded.url}`);
      const route = Object.keys(routes).find((prefix) => recorded.url.startsWith(prefix));
      if (route) routes[route]?.(recorded, res);
      else res.writeHead(404).end();
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** A CONNECT proxy that records the tunnels it opens. */
async function startProxy() {
  const tunnels: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(502).end('CONNECT only'));
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host = '', port = ''] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, tunnels };
}

function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const stsOk =
  (expiresIn = 3599): Responder =>
  (_request, response) =>
    json(response, 200, {
      access_token: STS_TOKEN,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: expiresIn,
    });

/** A recording context; `proxyEnv` configures the core egress (direct when empty). */
function recordingContext(events: string[] = [], proxyEnv: Environment = {}) {
  const context = fakeAcquireContext({
    mint: async () => GITHUB_JWT,
    events,
    egress: parseEgressProxy(proxyEnv),
  });
  closers.push(() => context.close());
  const { audiences: minted, secrets, hops, controller } = context;
  return { context, minted, secrets, hops, controller };
}

function config(google: { url: string }, env: Environment = {}) {
  return parseGcpConfig({
    AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE,
    AWF_AUTH_GCP_TOKEN_URL: `${google.url}/v1/token`,
    AWF_AUTH_GCP_IAM_CREDENTIALS_URL: google.url,
    ...env,
  });
}

describe('GCP exchange on the wire (real google-auth-library)', () => {
  it('direct federation: one STS form POST, expiry from expires_in', async () => {
    const google = await startGoogle({ '/v1/token': stsOk(300) });
    const { context, minted, secrets, hops } = recordingContext();
    const before = Date.now();
    const credential = await acquireGcpToken(config(google), context);
    const after = Date.now();

    expect(google.requests).toHaveLength(1);
    const [sts] = google.requests;
    expect(sts?.method).toBe('POST');
    expect(sts?.url).toBe('/v1/token');
    expect(sts?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(sts?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(sts?.body))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: `//iam.googleapis.com/${RESOURCE}`,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: GITHUB_JWT,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    });
    expect(minted).toEqual([`https://iam.googleapis.com/${RESOURCE}`]);
    expect(credential.material).toEqual({ accessToken: STS_TOKEN });
    // The 5-minute case: the short STS lifetime is reported as is.
    expect(credential.expiresAt).toBeGreaterThanOrEqual(before + 300_000);
    expect(credential.expiresAt).toBeLessThanOrEqual(after + 300_000);
    expect(hops).toEqual([GCP_STS_HOP]);
    expect(secrets).toContain(STS_TOKEN);
  });

  it('impersonation: STS with cloud-platform, then generateAccessToken with the STS token', async () => {
    const expireTime = '2099-01-01T00:20:00Z';
    const events: string[] = [];
    const google = await startGoogle(
      {
        '/v1/token': stsOk(),
        '/v1/projects/-/serviceAccounts/': (_request, response) =>
          json(response, 200, { accessToken: SA_TOKEN, expireTime }),
      },
      events,
    );
    const { context, hops } = recordingContext(events);
    const credential = await acquireGcpToken(
      config(google, {
        AWF_AUTH_GCP_SERVICE_ACCOUNT: SA,
        AWF_AUTH_GCP_TOKEN_LIFETIME: '1200',
        AWF_AUTH_GCP_SCOPE: 'https://www.googleapis.com/auth/cloud-platform.read-only',
        AWF_AUTH_OIDC_AUDIENCE: 'custom-github-audience',
      }),
      context,
    );

    const [sts, iam] = google.requests;
    const form = new URLSearchParams(sts?.body);
    // generateAccessToken needs a cloud-platform STS token; the requested scopes go to IAM.
    expect(form.get('scope')).toBe('https://www.googleapis.com/auth/cloud-platform');
    expect(form.get('audience')).toBe(`//iam.googleapis.com/${RESOURCE}`);
    expect(iam?.method).toBe('POST');
    expect(iam?.url).toBe(`/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`);
    expect(iam?.headers.authorization).toBe(`Bearer ${STS_TOKEN}`);
    expect(iam?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(iam?.body ?? '')).toEqual({
      scope: ['https://www.googleapis.com/auth/cloud-platform.read-only'],
      lifetime: '1200s',
    });
    expect(credential).toEqual({
      material: { accessToken: SA_TOKEN },
      expiresAt: Date.parse(expireTime),
    });
    expect(hops).toEqual([GCP_STS_HOP, GCP_IAM_HOP]);
    // The intermediate STS token is registered before it travels again.
    expect(events.indexOf(`secret ${STS_TOKEN}`)).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`secret ${STS_TOKEN}`)).toBeLessThan(
      events.indexOf(`request ${iam?.url}`),
    );
    expect(events).toContain(`secret ${SA_TOKEN}`);
  });

  it('a wrong audience becomes a typed error carrying the STS reason', async () => {
    const description = 'The audience in ID Token [custom] does not match the expected audience.';
    const google = await startGoogle({
      '/v1/token': (_request, response) =>
        json(response, 400, { error: 'invalid_grant', error_description: description }),
    });
    const failure = acquireGcpToken(
      config(google, { AWF_AUTH_OIDC_AUDIENCE: 'custom' }),
      recordingContext().context,
    );
    await expect(failure).rejects.toBeInstanceOf(GcpAudienceMismatchError);
    await expect(failure).rejects.toMatchObject({
      reason: `invalid_grant: ${description}`,
      upstreamStatus: 400,
      retryable: false,
    });
  });

  it('does not retry a 5xx inside the SDK (the core owns retries)', async () => {
    const google = await startGoogle({
      '/v1/token': (_request, response) => json(response, 503, { error: 'unavailable' }),
    });
    const failure = acquireGcpToken(config(google), recordingContext().context);
    await expect(failure).rejects.toBeInstanceOf(GcpUnavailableError);
    expect(google.requests).toHaveLength(1);
  });

  it('PERMISSION_DENIED on impersonation names the role to grant', async () => {
    const google = await startGoogle({
      '/v1/token': stsOk(),
      '/v1/projects/-/serviceAccounts/': (_request, response) =>
        json(response, 403, {
          error: {
            code: 403,
            message:
              "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            status: 'PERMISSION_DENIED',
          },
        }),
    });
    const failure = acquireGcpToken(
      config(google, { AWF_AUTH_GCP_SERVICE_ACCOUNT: SA }),
      recordingContext().context,
    );
    await expect(failure).rejects.toBeInstanceOf(GcpImpersonationDeniedError);
    await expect(failure).rejects.toMatchObject({
      hop: GCP_IAM_HOP,
      fix: expect.stringContaining('roles/iam.workloadIdentityUser'),
    });
  });

  it.each<[string, Responder, Responder, string]>([
    [
      'an HTML page from STS',
      (_request, response) =>
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>portal</html>'),
      stsOk(),
      'GCP STS answered without a JSON object',
    ],
    [
      'an STS answer without access_token',
      (_request, response) => json(response, 200, { token_type: 'Bearer' }),
      stsOk(),
      '"access_token"',
    ],
    [
      'an IAM answer without expireTime',
      stsOk(),
      (_request, response) => json(response, 200, { accessToken: SA_TOKEN }),
      'IAM Credentials answered without a valid "expireTime"',
    ],
  ])('a 200 with %s is a malformed answer', async (_, sts, iam, message) => {
    const google = await startGoogle({ '/v1/token': sts, '/v1/projects/-/serviceAccounts/': iam });
    const failure = acquireGcpToken(
      config(google, { AWF_AUTH_GCP_SERVICE_ACCOUNT: SA }),
      recordingContext().context,
    );
    await expect(failure).rejects.toBeInstanceOf(GcpMalformedAnswerError);
    await expect(failure).rejects.toMatchObject({
      message: expect.stringContaining(message),
      retryable: true,
    });
  });

  it('an unreachable STS is a retryable network error', async () => {
    const google = await startGoogle({});
    const closed = { url: google.url };
    await closers.splice(0).reduce((done, close) => done.then(close), Promise.resolve());
    const failure = acquireGcpToken(config(closed), recordingContext().context);
    await expect(failure).rejects.toBeInstanceOf(GcpUnreachableError);
    await expect(failure).rejects.toMatchObject({
      retryable: true,
      reason: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('a hanging STS is bounded by the hop timeout', async () => {
    const google = await startGoogle({ '/v1/token': () => {} });
    const failure = acquireGcpToken(config(google), recordingContext().context, {
      hopTimeoutMs: 50,
    });
    await expect(failure).rejects.toBeInstanceOf(GcpUnreachableError);
    await expect(failure).rejects.toMatchObject({ reason: expect.stringMatching(/timeout/i) });
    // Never retried. On a busy machine the 50 ms may end before the request reached the fake.
    expect(google.requests.length).toBeLessThanOrEqual(1);
  });

  it('shutdown (context.signal) cancels an exchange in flight', async () => {
    const { context, controller } = recordingContext();
    const google = await startGoogle({ '/v1/token': () => controller.abort() });
    await expect(acquireGcpToken(config(google), context)).rejects.toBeInstanceOf(GcpAbortedError);
  });

  it('sends both hops through the configured proxy', async () => {
    const google = await startGoogle({
      '/v1/token': stsOk(),
      '/v1/projects/-/serviceAccounts/': (_request, response) =>
        json(response, 200, { accessToken: SA_TOKEN, expireTime: '2099-01-01T00:00:00Z' }),
    });
    const proxy = await startProxy();
    const credential = await acquireGcpToken(
      config(google, { AWF_AUTH_GCP_SERVICE_ACCOUNT: SA }),
      recordingContext([], { HTTP_PROXY: proxy.url }).context,
    );
    expect(credential.material.accessToken).toBe(SA_TOKEN);
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
    expect(new Set(proxy.tunnels)).toEqual(new Set([google.url.replace('http://', '')]));
    expect(google.requests).toHaveLength(2);
  });

  it('NO_PROXY bypasses the proxy, and only the core egress counts', async () => {
    const google = await startGoogle({ '/v1/token': stsOk() });
    const proxy = await startProxy();
    // A process-level proxy that would break the exchange if the SDK read it on its own.
    vi.stubEnv('HTTP_PROXY', 'http://127.0.0.1:9');
    vi.stubEnv('http_proxy', 'http://127.0.0.1:9');
    const credential = await acquireGcpToken(
      config(google),
      recordingContext([], { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }).context,
    );
    expect(credential.material.accessToken).toBe(STS_TOKEN);
    expect(proxy.tunnels).toEqual([]);
  });
});
