/**
 * Security regression: no GCP hop follows a redirect. The real google-auth-library,
 * through our transports, against a local STS / IAM Credentials server that answers
 * 3xx to a second server, which must receive nothing (the STS hop would re-POST
 * the GitHub token there, the IAM hop the federated token).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeylessError, REDACTED } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireGcpToken } from './acquire-gcp-token.ts';
import { GcpRedirectRefusedError } from './errors.ts';
import { GCP_IAM_HOP, GCP_STS_HOP } from './gcp-hops.ts';
import { parseGcpConfig } from './gcp-config.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'keyless-ci@my-project.iam.gserviceaccount.com';
const GITHUB_JWT =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6bWFpbiJ9.c2lnbmF0dXJlLW9mLXRoZS1naXRodWItdG9rZW4';
const STS_TOKEN = 'ya29.sts-federated-token-0123456789';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A local server recording request paths; `respond` answers each. */
async function start(respond: (url: string, body: string, res: http.ServerResponse) => void) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(req.url ?? '');
      respond(req.url ?? '', Buffer.concat(chunks).toString(), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const stsOk = (res: http.ServerResponse) =>
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ access_token: STS_TOKEN, token_type: 'Bearer', expires_in: 3600 }));

async function acquireError(google: { url: string }, impersonate: boolean): Promise<unknown> {
  const context = fakeAcquireContext({ mint: async () => GITHUB_JWT });
  context.redactor.register(GITHUB_JWT);
  closers.push(() => context.close());
  const config = parseGcpConfig({
    AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: RESOURCE,
    AWF_AUTH_GCP_TOKEN_URL: `${google.url}/v1/token`,
    AWF_AUTH_GCP_IAM_CREDENTIALS_URL: google.url,
    ...(impersonate ? { AWF_AUTH_GCP_SERVICE_ACCOUNT: SA } : {}),
  });
  return acquireGcpToken(config, context).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.each([
  ['the STS hop', GCP_STS_HOP, false],
  ['the IAM Credentials hop', GCP_IAM_HOP, true],
] as const)('%s never follows a redirect', (_name, hop, impersonate) => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i to another origin or plain http: refused, named, nothing sent there',
    async (status) => {
      const other = await start((_url, _body, res) => stsOk(res));
      for (const location of [
        `${other.url}/v1/token?stolen=1`,
        `http://localhost:${new URL(other.url).port}/elsewhere`,
      ]) {
        const google = await start((url, _body, res) => {
          if (hop === GCP_IAM_HOP && url === '/v1/token') return stsOk(res);
          res.writeHead(status, {
            location,
            'content-type': 'text/html',
            'set-cookie': `t=${GITHUB_JWT.replaceAll('.', '%2E')}`,
          });
          res.end(`<html><body>Moved: ${GITHUB_JWT} ${STS_TOKEN}</body></html>`);
        });
        const error = await acquireError(google, impersonate);
        expect(error).toBeInstanceOf(GcpRedirectRefusedError);
        const refused = error as GcpRedirectRefusedError;
        expect(refused.hop).toBe(hop);
        expect(refused.retryable).toBe(false);
        expect(refused.message).toContain(
          `answered HTTP ${status}, a redirect to ${new URL(location).origin}: refused`,
        );
        expect(refused.message).not.toMatch(/stolen|elsewhere/);
        expect(refused.message).not.toContain(GITHUB_JWT.split('.')[2]);
        expect(refused).toBeInstanceOf(KeylessError);
      }
      expect(other.requests).toEqual([]);
    },
  );
});

describe('GCP error text is redacted before it is cut', () => {
  it('an STS error that echoes the subject token leaves none of it, in any encoding', async () => {
    const google = await start((_url, body, res) => {
      const subject = new URLSearchParams(body).get('subject_token') ?? '';
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: 'invalid_grant',
          // The token lands across the old 300-character cut.
          error_description: `${'x'.repeat(250)} ${subject} ${encodeURIComponent(subject.replaceAll('.', '%2E'))} ${subject.split('.')[2]}`,
        }),
      );
    });
    const error = (await acquireError(google, false)) as Error;
    expect(error.message).toContain(REDACTED);
    for (const segment of GITHUB_JWT.split('.').filter((part) => part.length >= 16)) {
      for (let i = 0; i + 16 <= segment.length; i += 1)
        expect(error.message).not.toContain(segment.slice(i, i + 16));
    }
  });
});
