/**
 * Security regression: the Entra exchange never follows a redirect and never
 * misreports a hostile answer. The real @azure/identity against a local TLS Entra
 * whose metadata or token endpoint answers 3xx (to a second server, which must
 * receive nothing), HTML instead of JSON, or errors that echo the client assertion.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import {
  fakeAcquireContext,
  fakeGithubToken,
  type FakeAcquireContext,
} from '@keyless/auth-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azurePlugin } from './azure-plugin.ts';
import { EntraBadResponseError, EntraRedirectRefusedError } from './errors.ts';
import {
  json,
  LOCAL_TENANT,
  listen,
  startLocalEntra,
  type LocalEntra,
} from './test-support/local-entra.ts';
import { selfSignedCertificate } from './test-support/self-signed.ts';

let entra: LocalEntra;
let credentials: { key: string; cert: string };
const others: { url: string; requests: string[]; close: () => Promise<void> }[] = [];

async function startOther(secure: boolean) {
  const requests: string[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: 'stolen' });
  };
  const server = secure ? https.createServer(credentials, handler) : http.createServer(handler);
  const port = await listen(server);
  const other = {
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  others.push(other);
  return other;
}

beforeAll(async () => {
  credentials = await selfSignedCertificate();
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), credentials.cert]);
  entra = await startLocalEntra(credentials);
});
afterAll(async () => {
  await entra.close();
  await Promise.all(others.map((other) => other.close()));
});

/** A context whose redactor knows the minted GitHub tokens, as the core's minter arranges. */
function context(): FakeAcquireContext {
  const created: FakeAcquireContext = fakeAcquireContext({
    mint: async (audience) => {
      const token = fakeGithubToken(audience);
      created.redactor.register(token);
      return token;
    },
  });
  return created;
}

async function acquireError(ctx = context()): Promise<Error> {
  const config = azurePlugin.parseConfig({
    AWF_AUTH_AZURE_TENANT_ID: LOCAL_TENANT,
    AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    AZURE_AUTHORITY_HOST: entra.url,
  });
  return azurePlugin.acquire(config, ctx).then(
    () => {
      throw new Error('the exchange succeeded');
    },
    (error: Error) => error,
  );
}

describe.each(['metadata', 'token'] as const)('the %s call never follows a redirect', (call) => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i to another origin, to plain http, or the same origin: refused and named',
    async (status) => {
      const secure = await startOther(true);
      const plain = await startOther(false);
      for (const location of [
        `${secure.url}/x?y=1`,
        `${plain.url}/x`,
        `${entra.url}/${LOCAL_TENANT}/elsewhere`,
      ]) {
        const redirect = (_req: http.IncomingMessage, res: http.ServerResponse) =>
          res
            .writeHead(status, { location, 'content-type': 'text/html' })
            .end('<html>moved</html>');
        if (call === 'metadata') entra.setMetadata(redirect);
        else entra.setToken(redirect);
        const error = await acquireError();
        entra.setMetadata(undefined);
        expect(error).toBeInstanceOf(EntraRedirectRefusedError);
        expect(error.message).toContain(`answered HTTP ${status}`);
        expect(error.message).toContain(`a redirect to ${new URL(location).origin}: refused`);
        expect(error.message).not.toMatch(/\/x|elsewhere/);
      }
      expect([...secure.requests, ...plain.requests]).toEqual([]);
      expect(entra.requests.filter((r) => r.path.includes('elsewhere'))).toEqual([]);
    },
  );
});

describe('hostile Entra answers are described for what they are', () => {
  it('invalid JSON is a bad answer, not "cannot reach Entra"', async () => {
    for (const status of [200, 400]) {
      entra.setToken((_req, res) =>
        res.writeHead(status, { 'content-type': 'text/html' }).end('<html>portal</html>'),
      );
      const error = await acquireError();
      expect(error).toBeInstanceOf(EntraBadResponseError);
      expect(error.message).toContain(`answered HTTP ${status}`);
      expect(error.message).toContain('not valid JSON');
      expect(error.message).not.toMatch(/cannot reach/i);
      expect((error as EntraBadResponseError).fix).not.toMatch(/egress/);
    }
  });

  it('an error that echoes the client assertion (body and headers) quotes none of it', async () => {
    entra.setToken((_req, res, seen) => {
      const assertion = seen.form.get('client_assertion') ?? '';
      res.setHeader('set-cookie', `a=${assertion.replaceAll('.', '%2E')}`);
      json(res, 401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: ${'x'.repeat(380)} ${assertion} ${assertion.split('.')[2]} Trace ID: 1`,
        error_codes: [7000215],
      });
    });
    const ctx = context();
    const error = await acquireError(ctx);
    const assertion = ctx.minted[0] ?? '';
    expect(assertion).not.toBe('');
    const text = `${error.message} ${(error as EntraBadResponseError).fix ?? ''}`;
    for (const segment of assertion.split('.').filter((part) => part.length >= 16)) {
      for (let i = 0; i + 16 <= segment.length; i += 1)
        expect(text).not.toContain(segment.slice(i, i + 16));
    }
  });
});
