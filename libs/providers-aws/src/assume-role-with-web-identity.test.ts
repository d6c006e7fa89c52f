import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseEgressProxy, type Environment } from '@keyless/auth-core';
import { fakeAcquireContext, type FakeAcquireContext } from '@keyless/auth-core/testing';
import { awsPlugin } from './aws-plugin.ts';
import {
  AwsAccessDeniedError,
  AwsInvalidIdentityTokenError,
  AwsStsUnavailableError,
  AwsStsUnreachableError,
} from './errors.ts';

/**
 * The real SDK (fromWebToken + our request handler) against local servers on
 * 127.0.0.1: proves the wire request, the answer parsing, the error mapping
 * and the proxy egress without the shared e2e fakes.
 */

const ROLE = 'arn:aws:iam::123456789012:role/gh-bedrock';
const WEB_IDENTITY_TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJl';
const EXPIRATION = '2030-01-01T01:00:00Z';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ';

const SUCCESS = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:o/r:ref:refs/heads/main</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/gh-bedrock/keyless-7-1</Arn><AssumedRoleId>AROAEXAMPLE:keyless-7-1</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <SessionToken>${SESSION_TOKEN}</SessionToken>
      <SecretAccessKey>${SECRET}</SecretAccessKey>
      <Expiration>${EXPIRATION}</Expiration>
      <AccessKeyId>ASIAEXAMPLEEXAMPLE01</AccessKeyId>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;

function errorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
}

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Responder = (request: Recorded, response: http.ServerResponse) => void;

const servers: http.Server[] = [];
const contexts: FakeAcquireContext[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A fake STS (or forward proxy) answering with `respond` and recording every request. */
async function startServer(
  respond: Responder,
): Promise<{ url: string; requests: Recorded[]; connects: string[] }> {
  const requests: Recorded[] = [];
  const connects: string[] = [];
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
      respond(recorded, res);
    });
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    connects.push(req.url ?? '');
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  return { url: await listen(server), requests, connects };
}

/** A port nothing listens on: a request that bypasses the proxy fails fast and locally. */
async function closedPortUrl(scheme: 'http' | 'https'): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `${scheme}://127.0.0.1:${port}`;
}

const xml =
  (status: number, body: string): Responder =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'text/xml' });
    response.end(body);
  };

/** A recording context whose egress is the proxy `proxyEnv` configures (direct when empty). */
function fakeContext(proxyEnv: Environment = {}) {
  const context = fakeAcquireContext({
    mint: async () => WEB_IDENTITY_TOKEN,
    egress: parseEgressProxy(proxyEnv),
  });
  contexts.push(context);
  return { context, secrets: context.secrets, hops: context.hops, audiences: context.audiences };
}

function config(env: Environment) {
  return awsPlugin.parseConfig({
    AWF_AUTH_AWS_ROLE_ARN: ROLE,
    AWF_AUTH_AWS_REGION: 'us-east-1',
    GITHUB_RUN_ID: '7',
    ...env,
  });
}

describe('assumeRoleWithWebIdentity through the real SDK', () => {
  it('sends one unsigned form POST and parses the XML credentials', async () => {
    const sts = await startServer(xml(200, SUCCESS));
    const { context, secrets, hops, audiences } = fakeContext();
    const credential = await awsPlugin.acquire(
      config({ AWS_ENDPOINT_URL_STS: sts.url, AWF_AUTH_AWS_SESSION_DURATION: '1800' }),
      context,
    );

    expect(sts.requests).toHaveLength(1);
    const [request] = sts.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request!.headers['authorization']).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'keyless-7-1',
      WebIdentityToken: WEB_IDENTITY_TOKEN,
      DurationSeconds: '1800',
    });

    expect(credential.expiresAt).toBe(Date.parse(EXPIRATION));
    expect(credential.material).toEqual({
      credentials: {
        accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
        secretAccessKey: SECRET,
        sessionToken: SESSION_TOKEN,
      },
      region: 'us-east-1',
    });
    expect(secrets).toEqual(expect.arrayContaining([SECRET, SESSION_TOKEN]));
    expect(audiences).toEqual(['sts.amazonaws.com']);
    expect(hops).toEqual(['aws-sts']);
  });

  it('makes a new STS call on every acquisition (no SDK cache)', async () => {
    const sts = await startServer(xml(200, SUCCESS));
    const parsed = config({ AWS_ENDPOINT_URL_STS: sts.url });
    await awsPlugin.acquire(parsed, fakeContext().context);
    await awsPlugin.acquire(parsed, fakeContext().context);
    expect(sts.requests).toHaveLength(2);
  });

  it.each([
    [
      400,
      'InvalidIdentityToken',
      'No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com',
      AwsInvalidIdentityTokenError,
    ],
    [
      403,
      'AccessDenied',
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      AwsAccessDeniedError,
    ],
    [500, 'InternalFailure', 'internal failure', AwsStsUnavailableError],
  ])(
    'maps an XML %i %s answer to a typed error after exactly one attempt',
    async (status, code, message, type) => {
      const sts = await startServer(xml(status, errorXml(code, message)));
      const { context, secrets } = fakeContext();
      const failure = awsPlugin.acquire(config({ AWS_ENDPOINT_URL_STS: sts.url }), context);
      await expect(failure).rejects.toBeInstanceOf(type);
      await expect(failure).rejects.toThrow(message);
      // The core retries; the SDK must not (it would retry 5xx three times by default).
      expect(sts.requests).toHaveLength(1);
      expect(secrets).toEqual([]);
    },
  );

  it('sends http:// STS traffic through HTTP_PROXY', async () => {
    const proxy = await startServer(xml(200, SUCCESS));
    const target = await closedPortUrl('http');
    const credential = await awsPlugin.acquire(
      config({ AWS_ENDPOINT_URL_STS: target }),
      fakeContext({ HTTP_PROXY: proxy.url }).context,
    );
    expect(credential.expiresAt).toBe(Date.parse(EXPIRATION));
    // A forward proxy receives the absolute-form target.
    expect(proxy.requests.map((request) => request.url)).toEqual([`${target}/`]);
    expect(new URLSearchParams(proxy.requests[0]!.body).get('Action')).toBe(
      'AssumeRoleWithWebIdentity',
    );
  });

  it('tunnels https:// STS traffic through HTTPS_PROXY with CONNECT', async () => {
    const proxy = await startServer(xml(500, ''));
    const target = await closedPortUrl('https');
    const failure = awsPlugin.acquire(
      config({ AWS_ENDPOINT_URL_STS: target }),
      fakeContext({ HTTPS_PROXY: proxy.url }).context,
    );
    await expect(failure).rejects.toBeInstanceOf(AwsStsUnreachableError);
    expect(proxy.connects).toEqual([new URL(target).host]);
  });

  it('tunnels https:// STS traffic through HTTP_PROXY when HTTPS_PROXY is unset, as undici does', async () => {
    const proxy = await startServer(xml(500, ''));
    const target = await closedPortUrl('https');
    const failure = awsPlugin.acquire(
      config({ AWS_ENDPOINT_URL_STS: target }),
      fakeContext({ HTTP_PROXY: proxy.url }).context,
    );
    await expect(failure).rejects.toBeInstanceOf(AwsStsUnreachableError);
    expect(proxy.connects).toEqual([new URL(target).host]);
  });

  it('ignores proxy variables of the process environment', async () => {
    const proxy = await startServer(xml(500, ''));
    const sts = await startServer(xml(200, SUCCESS));
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('http_proxy', proxy.url);
    await awsPlugin.acquire(config({ AWS_ENDPOINT_URL_STS: sts.url }), fakeContext().context);
    expect(sts.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(0);
  });

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    const proxy = await startServer(xml(500, ''));
    const sts = await startServer(xml(200, SUCCESS));
    await awsPlugin.acquire(
      config({ AWS_ENDPOINT_URL_STS: sts.url }),
      fakeContext({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }).context,
    );
    expect(sts.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(0);
  });

  it('honours the abort signal while STS has not answered', async () => {
    const { context } = fakeContext();
    // Never answers; aborting is the only way out.
    const sts = await startServer(() => context.controller.abort());
    const failure = awsPlugin.acquire(config({ AWS_ENDPOINT_URL_STS: sts.url }), context);
    await expect(failure).rejects.toBeInstanceOf(AwsStsUnreachableError);
    expect(sts.requests).toHaveLength(1);
  });
});
