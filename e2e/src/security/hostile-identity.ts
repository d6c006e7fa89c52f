/**
 * Hostile identity services for the adversarial suite: one server that plays
 * whichever token endpoint the gateway is pointed at (the GitHub token service,
 * GCP STS, AWS STS, Entra's metadata + token endpoint) and misbehaves on the
 * token call the way a compromised or misconfigured service (or a proxy or
 * portal in front of it) does. Each starts on 127.0.0.1, port 0.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** How the service misbehaves on the token call. */
export type Hostility =
  /** Reflects every secret of the request (bearer, form values) in its error body and headers, in many spellings. */
  | 'echo'
  /** 307 to another origin (`bystander`), which must receive nothing. */
  | 'redirect'
  /** Starts an answer that echoes the request's secrets, then cuts the connection mid-body. */
  | 'truncate'
  /** 302 with an HTML page that echoes the secrets, to plain http. */
  | 'html-3xx';

/** Every hostility, for `describe.each`. */
export const HOSTILITIES: readonly Hostility[] = ['echo', 'redirect', 'truncate', 'html-3xx'];

/** A running server. */
export interface Server {
  readonly url: string;
  /** `METHOD path` of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Form fields and headers that carry a secret in the token calls we make. */
const SECRET_FIELDS = ['subject_token', 'client_assertion', 'WebIdentityToken'];

/** The secrets a request carried: its bearer token and the secret form fields. */
function secretsOf(req: http.IncomingMessage, body: string): string[] {
  const form = new URLSearchParams(body);
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return [bearer, ...SECRET_FIELDS.map((field) => form.get(field) ?? undefined)].filter(
    (value): value is string => !!value,
  );
}

/** The secret in the spellings an echoing service or a reflecting proxy uses. */
function spellings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret).toLowerCase(),
    secret.replaceAll('.', '%2E'),
    secret.replaceAll('.', '\\u002e'),
    secret.replaceAll('.', '&#46;'),
    Buffer.from(`user:${secret}`).toString('base64'),
    secret.split('.').at(-1) ?? secret,
    secret.slice(0, Math.ceil(secret.length / 2)),
    secret.slice(Math.ceil(secret.length / 2)),
  ];
}

function listen(server: http.Server, secure: boolean, requests: string[]): Promise<Server> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A server that answers 200 `{}` to anything and records it: must never be reached. */
export async function startBystander(): Promise<Server> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return listen(server, false, requests);
}

/** Options of `startHostileIdentity`. */
export interface HostileIdentityOptions {
  readonly hostility: Hostility;
  /** Where redirects point. */
  readonly bystander: Server;
  /** Serve over TLS (Entra's authority must be https). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Entra tenant whose OpenID metadata is served honestly (the token call misbehaves). */
  readonly tenant?: string;
}

/** Starts a hostile identity service (see the module comment). */
export async function startHostileIdentity(options: HostileIdentityOptions): Promise<Server> {
  const requests: string[] = [];
  let base = '';
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (options.tenant && path === `/${options.tenant}/v2.0/.well-known/openid-configuration`) {
        const tenantBase = `${base}/${options.tenant}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: `${tenantBase}/v2.0`,
            token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
            authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
            jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
          }),
        );
        return;
      }
      misbehave(options, secretsOf(req, Buffer.concat(chunks).toString()), res);
    });
  };
  const server = options.tls
    ? https.createServer(options.tls, handler)
    : http.createServer(handler);
  const started = await listen(server, options.tls !== undefined, requests);
  base = started.url;
  return started;
}

function misbehave(
  options: HostileIdentityOptions,
  secrets: string[],
  res: http.ServerResponse,
): void {
  const echoed = secrets.flatMap(spellings);
  const text = `invalid_grant: cannot accept ${echoed.join(' | ')}`;
  const cookie = secrets.map((secret, i) => `s${i}=${secret.replaceAll('.', '%2E')}; Path=/`);
  switch (options.hostility) {
    case 'echo':
      res.writeHead(400, {
        'content-type': 'application/json',
        'set-cookie': cookie,
        'www-authenticate': `Bearer error="invalid_token", error_description="${secrets[0] ?? ''}"`,
        'x-echo-authorization': secrets[0] ?? '',
      });
      res.end(
        JSON.stringify({
          error: 'invalid_grant',
          error_description: `AADSTS50000: ${'x'.repeat(250)} ${text}`,
          message: text,
        }),
      );
      return;
    case 'redirect':
      res.writeHead(307, {
        location: `${options.bystander.url}/token?from=hostile`,
        'set-cookie': cookie,
      });
      res.end();
      return;
    case 'truncate':
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': String(100_000) });
      res.write(`{"error":"invalid_grant","error_description":"${text}`);
      setImmediate(() => res.destroy());
      return;
    case 'html-3xx':
      res.writeHead(302, {
        location: `${options.bystander.url.replace('127.0.0.1', 'localhost')}/login`,
        'content-type': 'text/html',
        'set-cookie': cookie,
      });
      res.end(`<html><body><p>Moved</p><pre>${text}</pre></body></html>`);
      return;
  }
}
