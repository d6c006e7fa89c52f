import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// An independent SigV4 verifier (node:crypto only) so that fakes check the
// gateway's signatures without trusting the signing library the gateway uses.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

/** A key pair the verifier knows, as issued by STS or configured in a test. */
export interface KnownCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Session token issued with the key; requests must carry exactly this value. */
  readonly sessionToken?: string;
  /** After this instant the token is rejected with ExpiredTokenException. */
  readonly expiration?: Date;
}

/** Finds the credential of an access key id. */
export type CredentialLookup = (accessKeyId: string) => KnownCredential | undefined;

/** A request as received. */
export interface ReceivedRequest {
  readonly method: string;
  /** Raw request target (path and query) exactly as received, never decoded. */
  readonly target: string;
  /** Header name/value pairs in received order (see `headerPairs`). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
}

export interface SigV4VerifyOptions {
  /** Signing name, e.g. `bedrock`. */
  readonly service: string;
  readonly region: string;
  readonly credentials: CredentialLookup;
  /** Clock, ms epoch. */
  readonly now?: () => number;
  /** Allowed clock skew, ms (default 5 minutes, as AWS). */
  readonly maxSkewMs?: number;
  /** Remove `.`/`..`/empty path segments first, as every service but S3 (default true). */
  readonly normalizePath?: boolean;
  /** Accept an `x-amz-security-token` left out of SignedHeaders (the STS style; default false). */
  readonly allowUnsignedSecurityToken?: boolean;
}

/** AWS error codes the verifier answers with. */
export type SigV4ErrorCode =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException'
  | 'ExpiredTokenException';

/** Why a request failed, finer than the AWS code (for test assertions). */
export type SigV4FailureReason =
  | 'missing-authorization'
  | 'malformed-authorization'
  | 'missing-date'
  | 'scope'
  | 'skew'
  | 'unknown-key'
  | 'session-token'
  | 'expired-token'
  | 'unsigned-header'
  | 'body-hash-mismatch'
  | 'signature-mismatch';

export type SigV4Result =
  | { readonly ok: true; readonly accessKeyId: string; readonly signedHeaders: readonly string[] }
  | {
      readonly ok: false;
      readonly code: SigV4ErrorCode;
      readonly reason: SigV4FailureReason;
      readonly message: string;
    };

/** Default allowed clock skew, ms. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Verifies a header-signed SigV4 request. Never throws for bad input. */
export function verifySigV4(request: ReceivedRequest, options: SigV4VerifyOptions): SigV4Result {
  const fail = (
    code: SigV4ErrorCode,
    reason: SigV4FailureReason,
    message: string,
  ): SigV4Result => ({
    ok: false,
    code,
    reason,
    message,
  });
  const authorization = headerValues(request.headers, 'authorization')[0];
  if (authorization === undefined) {
    return fail(
      'MissingAuthenticationTokenException',
      'missing-authorization',
      'Missing Authentication Token',
    );
  }
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string')
    return fail('IncompleteSignatureException', 'malformed-authorization', parsed);

  const amzDate = headerValues(request.headers, 'x-amz-date')[0]?.trim();
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signedAt === undefined) {
    return fail(
      'IncompleteSignatureException',
      'missing-date',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }

  const [accessKeyId, scopeDate, region, service, terminator] = parsed.credential;
  if (scopeDate !== amzDate.slice(0, 8)) {
    return fail(
      'InvalidSignatureException',
      'scope',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from 'X-Amz-Date'.`,
    );
  }
  if (region !== options.region) {
    return fail(
      'InvalidSignatureException',
      'scope',
      `Credential should be scoped to a valid region. `,
    );
  }
  if (service !== options.service) {
    return fail(
      'InvalidSignatureException',
      'scope',
      `Credential should be scoped to correct service: '${options.service}'. `,
    );
  }
  if (terminator !== 'aws4_request') {
    return fail(
      'InvalidSignatureException',
      'scope',
      `Credential should be scoped with a valid terminator: 'aws4_request'. `,
    );
  }

  const now = options.now?.() ?? Date.now();
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (signedAt < now - skew) {
    return fail(
      'InvalidSignatureException',
      'skew',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - skew)} (${formatAmzDate(now)} - ${skew / 60_000} min.)`,
    );
  }
  if (signedAt > now + skew) {
    return fail(
      'InvalidSignatureException',
      'skew',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skew)} (${formatAmzDate(now)} + ${skew / 60_000} min.)`,
    );
  }

  const known = options.credentials(accessKeyId);
  if (known === undefined) {
    return fail(
      'UnrecognizedClientException',
      'unknown-key',
      'The security token included in the request is invalid.',
    );
  }
  const tokens = headerValues(request.headers, 'x-amz-security-token');
  const sentToken = tokens.length === 1 ? tokens[0]!.trim() : undefined;
  if (tokens.length > 1 || !sameToken(sentToken, known.sessionToken)) {
    return fail(
      'UnrecognizedClientException',
      'session-token',
      'The security token included in the request is invalid.',
    );
  }
  if (known.expiration !== undefined && known.expiration.getTime() <= now) {
    return fail(
      'ExpiredTokenException',
      'expired-token',
      'The security token included in the request is expired',
    );
  }

  const signed = parsed.signedHeaders;
  if (!signed.includes('host')) {
    return fail(
      'IncompleteSignatureException',
      'unsigned-header',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const mustSign = ['x-amz-date', 'x-amz-content-sha256'];
  if (!options.allowUnsignedSecurityToken) mustSign.push('x-amz-security-token');
  for (const name of mustSign) {
    if (headerValues(request.headers, name).length > 0 && !signed.includes(name)) {
      return fail(
        'InvalidSignatureException',
        'unsigned-header',
        `'${name}' must be a 'SignedHeader' in the AWS Authorization.`,
      );
    }
  }

  // The body hash is always computed here: a signer trusts a present header, a verifier must not.
  const payloadHash = sha256Hex(request.body);
  const claimedHash = headerValues(request.headers, 'x-amz-content-sha256')[0]?.trim();
  if (claimedHash !== undefined && claimedHash !== payloadHash) {
    return fail(
      'InvalidSignatureException',
      'body-hash-mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }

  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const canonical = canonicalRequest(request, signed, payloadHash, options.normalizePath ?? true);
  const expected = createHmac(
    'sha256',
    signingKey(known.secretAccessKey, scopeDate, region, service),
  )
    .update(stringToSign(amzDate, scope, canonical))
    .digest();
  const provided = Buffer.from(parsed.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return fail(
      'InvalidSignatureException',
      'signature-mismatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { ok: true, accessKeyId, signedHeaders: signed };
}

/** Canonical request of `request` for the given signed headers and payload hash (hex). */
export function canonicalRequest(
  request: ReceivedRequest,
  signedHeaders: readonly string[],
  payloadHash: string,
  normalizePath = true,
): string {
  const q = request.target.indexOf('?');
  const path = q < 0 ? request.target : request.target.slice(0, q);
  const query = q < 0 ? '' : request.target.slice(q + 1);
  return [
    request.method.toUpperCase(),
    canonicalPath(path, normalizePath),
    canonicalQuery(query),
    ...signedHeaders.map(
      (name) => `${name}:${canonicalHeaderValue(headerValues(request.headers, name))}`,
    ),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/**
 * Canonical URI: every raw segment is URI-encoded once more, so `%3A` becomes
 * `%253A` (AWS's rule for every service but S3).
 */
export function canonicalPath(rawPath: string, normalize = true): string {
  let segments = rawPath.split('/');
  if (normalize) {
    const kept: string[] = [];
    for (const segment of segments) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') kept.pop();
      else kept.push(segment);
    }
    const trailing = kept.length > 0 && rawPath.endsWith('/') ? '/' : '';
    segments = ['', ...kept];
    return segments.map(uriEncode).join('/') + trailing || '/';
  }
  return segments.map(uriEncode).join('/') || '/';
}

/** Canonical query: parameters decoded, encoded once, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return [uriEncode(decode(name)), uriEncode(decode(value))] as const;
    })
    .sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** String to sign for an `x-amz-date` value and credential scope. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** The derived signing key (HMAC chain over date, region, service). */
export function signingKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [date, region, service, 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return key;
}

/** Node's flat `rawHeaders` as name/value pairs, keeping duplicates and order. */
export function headerPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

/** Lower-case hex SHA-256. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

interface ParsedAuthorization {
  readonly credential: readonly [string, string, string, string, string];
  readonly signedHeaders: string[];
  readonly signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | string {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `))
    return `Unsupported authorization type (expected ${ALGORITHM}).`;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  for (const [name, value] of [
    ['Credential', credential],
    ['Signature', signature],
    ['SignedHeaders', signedHeaders],
  ] as const) {
    if (!value)
      return `Authorization header requires '${name}' parameter. Authorization=${ALGORITHM} ...`;
  }
  const parts = credential!.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    return 'Credential should have exactly 5 slash-separated parts.';
  }
  if (!/^[0-9a-f]{64}$/.test(signature!)) return 'Signature must be 64 lower-case hex characters.';
  const names = signedHeaders!.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase()))
    return 'SignedHeaders must be lower-case names separated by semicolons.';
  return {
    credential: parts as unknown as ParsedAuthorization['credential'],
    signedHeaders: names,
    signature: signature!,
  };
}

function headerValues(headers: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** `YYYYMMDDTHHMMSSZ` to ms epoch. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

// RFC 3986 unreserved characters stay, everything else (including `%`) is escaped.
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameToken(sent: string | undefined, issued: string | undefined): boolean {
  if (sent === undefined || issued === undefined) return sent === issued;
  const a = Buffer.from(sent);
  const b = Buffer.from(issued);
  return a.length === b.length && timingSafeEqual(a, b);
}
