import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Tenant the local Entra serves by default. */
export const LOCAL_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** A request the local Entra received. */
export interface SeenRequest {
  method: string;
  path: string;
  form: URLSearchParams;
  contentType: string | undefined;
}

/** Answers one request of the local Entra. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  seen: SeenRequest,
) => void;

/** Sends a JSON answer. */
export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}

/** Listens on an ephemeral port of 127.0.0.1. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A running local Entra. */
export type LocalEntra = Awaited<ReturnType<typeof startLocalEntra>>;

/**
 * A minimal Entra on 127.0.0.1 over TLS for `tenant`: OpenID metadata and a token endpoint whose
 * behaviour a test can replace; it records every request.
 */
export async function startLocalEntra(
  credentials: { key: string; cert: string },
  tenant = LOCAL_TENANT,
) {
  const requests: SeenRequest[] = [];
  let onToken: Handler = (_req, res) =>
    json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: 'entra-at-1' });
  let onMetadata: Handler | undefined;
  const server = https.createServer(credentials, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: url.pathname,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        contentType: req.headers['content-type'],
      };
      requests.push(seen);
      const base = `https://127.0.0.1:${port}/${tenant}`;
      if (url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
        if (onMetadata) return onMetadata(req, res, seen);
        return json(res, 200, {
          issuer: `${base}/v2.0`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
        });
      }
      if (url.pathname === `/${tenant}/oauth2/v2.0/token` && req.method === 'POST')
        return onToken(req, res, seen);
      json(res, 404, { error: 'not_found' });
    });
  });
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    setToken(handler: Handler) {
      onToken = handler;
    },
    setMetadata(handler?: Handler) {
      onMetadata = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
