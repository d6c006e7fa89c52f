import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './node-sha256.ts';

/** AWS credentials as the signer needs them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Credential scope of a signature. */
export interface SigV4Scope {
  readonly region: string;
  /** Signing name, e.g. `bedrock` (not `bedrock-runtime`). */
  readonly service: string;
}

/** A request to sign, with exactly the headers that must be covered by the signature. */
export interface SigV4Request {
  readonly method: string;
  /** `https://host[:port]`; the `host` header is derived from it. */
  readonly origin: string;
  /** Raw path and query exactly as they will be sent. */
  readonly path: string;
  /** Lower-case names; all of them are signed. An `x-amz-content-sha256` here is trusted as the payload hash. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** What the signer adds: `authorization`, `x-amz-date` and, with a session token, `x-amz-security-token`. */
export type SigV4Headers = Record<string, string>;

const ADDED_HEADERS = ['authorization', 'x-amz-date', 'x-amz-security-token'] as const;

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape is signed as sent; the signer escapes its `%` once.
    return value;
  }
}

/**
 * The raw query as the decoded key/value map the signer re-encodes (RFC 3986).
 * Not URLSearchParams: it turns `+` into a space, which SigV4 does not.
 */
function parseRawQuery(query: string): Record<string, string | string[]> {
  const parsed: Record<string, string | string[]> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const key = decodeComponent(separator === -1 ? pair : pair.slice(0, separator));
    const value = separator === -1 ? '' : decodeComponent(pair.slice(separator + 1));
    const existing = Object.hasOwn(parsed, key) ? parsed[key] : undefined;
    parsed[key] =
      existing === undefined
        ? value
        : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return parsed;
}

/**
 * Computes a SigV4 header signature with @smithy/signature-v4 over exactly
 * `request.headers` plus `host`. The path is passed through raw: the signer
 * normalizes `.`/`..` and encodes each segment once more (`%3A` -> `%253A`),
 * which is the canonical form AWS computes from the path it receives.
 */
export async function sigV4Headers(
  credentials: AwsCredentials,
  scope: SigV4Scope,
  request: SigV4Request,
  now: Date,
): Promise<SigV4Headers> {
  const url = new URL(request.origin);
  const queryStart = request.path.indexOf('?');
  const path = queryStart === -1 ? request.path : request.path.slice(0, queryStart);
  const query = queryStart === -1 ? '' : request.path.slice(queryStart + 1);
  const signer = new SignatureV4({
    credentials,
    region: scope.region,
    service: scope.service,
    // Native SHA-256: the pure-JS default of the AWS SDK costs a large share of CPU per request.
    sha256: NodeSha256,
    // The caller decides whether x-amz-content-sha256 is sent (and signed).
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      path,
      query: parseRawQuery(query),
      headers: { ...request.headers, host: url.host },
      body: request.body,
    }),
    { signingDate: now },
  );
  const added: SigV4Headers = {};
  for (const name of ADDED_HEADERS) {
    const value = signed.headers[name];
    if (value !== undefined) added[name] = value;
  }
  return added;
}
