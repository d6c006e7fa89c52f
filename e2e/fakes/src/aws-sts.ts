import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { startFakeServer } from './fake-server.ts';
import type { Fault, FakeServer, FakeServerOptions, RecordedRequest } from './fake-server.ts';
import type { CredentialLookup, KnownCredential } from './sigv4-verifier.ts';

/** A role the fake lets web identities assume. */
export interface StsRole {
  /** e.g. `arn:aws:iam::123456789012:role/keyless-ci` (partitions aws, aws-cn, aws-us-gov). */
  readonly arn: string;
  /** Required `sub`, exact or with `*` wildcards as in a trust policy's StringLike; any when absent. */
  readonly subject?: string;
  /** Longest session the role allows, s (default 3600, as IAM). */
  readonly maxSessionDuration?: number;
}

export interface AwsStsOptions extends FakeServerOptions {
  /** JWKS of the web identity issuer (e.g. the fake GitHub OIDC issuer's `jwksUrl`). */
  readonly jwksUrl?: string;
  /** Verifies the token's signature instead of `jwksUrl`; may throw jose errors. */
  readonly verifyWebIdentity?: (token: string) => Promise<JWTPayload>;
  /** Required `iss`; any when absent. */
  readonly issuer?: string;
  /** Required `aud` (default `sts.amazonaws.com`). */
  readonly audience?: string;
  readonly roles: readonly StsRole[];
  /** Session lifetime, s, overriding the requested DurationSeconds (test knob, may be below 900). */
  readonly durationSeconds?: number;
  /** Clock, ms epoch. */
  readonly now?: () => number;
}

/** Credentials the fake issued; usable as a Bedrock fake's credential list. */
export interface IssuedCredential extends KnownCredential {
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly roleArn: string;
  readonly roleSessionName: string;
  /** `sub` of the web identity token. */
  readonly subject: string;
}

/** STS error codes the fake answers with. */
export type StsErrorCode =
  | 'InvalidIdentityToken'
  | 'ExpiredTokenException'
  | 'IDPCommunicationError'
  | 'IDPRejectedClaim'
  | 'AccessDenied'
  | 'ValidationError'
  | 'InvalidAction'
  | 'Throttling'
  | 'RegionDisabledException'
  | 'InternalFailure';

/** One AssumeRoleWithWebIdentity call and its outcome. */
export interface StsCall {
  readonly roleArn?: string;
  readonly roleSessionName?: string;
  readonly durationSeconds?: number;
  readonly subject?: string;
  readonly outcome: 'issued' | StsErrorCode;
}

export interface AwsStsFake extends FakeServer {
  /** Every credential issued, oldest first. */
  readonly issued: IssuedCredential[];
  /** Every call that reached the handler (injected faults excluded). */
  readonly calls: StsCall[];
  /** Finds an issued credential by access key id (for the Bedrock fake). */
  readonly lookup: CredentialLookup;
  /** Overrides the session lifetime, s; `undefined` honours the request again. */
  setDurationSeconds(seconds: number | undefined): void;
  /** Answers the next `times` (default 1) requests with an AWS XML error. */
  failNext(code: StsErrorCode, options?: { times?: number; message?: string }): Fault;
}

/** Default web identity audience, as GitHub mints it for AWS. */
export const DEFAULT_STS_AUDIENCE = 'sts.amazonaws.com';
/** Default session lifetime, s (STS's default). */
export const DEFAULT_STS_DURATION_SECONDS = 3600;

/** HTTP status STS uses per error code. */
export const STS_ERROR_STATUS: Readonly<Record<StsErrorCode, number>> = {
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  IDPRejectedClaim: 403,
  AccessDenied: 403,
  ValidationError: 400,
  InvalidAction: 400,
  Throttling: 400,
  RegionDisabledException: 403,
  InternalFailure: 500,
};

const ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;

class StsError extends Error {
  readonly code: StsErrorCode;
  constructor(code: StsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Starts a fake AWS STS that serves AssumeRoleWithWebIdentity (form POST, XML answers). */
export async function startAwsSts(options: AwsStsOptions): Promise<AwsStsFake> {
  if (!options.jwksUrl && !options.verifyWebIdentity)
    throw new Error('startAwsSts needs jwksUrl or verifyWebIdentity');
  const now = options.now ?? Date.now;
  const audience = options.audience ?? DEFAULT_STS_AUDIENCE;
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 2000 })
    : undefined;
  const check: TokenCheck = {
    verifySignature:
      options.verifyWebIdentity ??
      (async (token: string) =>
        (await jwtVerify(token, jwks!, { currentDate: new Date(now()) })).payload),
    remote: !options.verifyWebIdentity,
    issuer: options.issuer,
    audience,
  };
  const issued: IssuedCredential[] = [];
  const calls: StsCall[] = [];
  let durationOverride = options.durationSeconds;

  const server = await startFakeServer(async (request, res) => {
    const params = paramsOf(request);
    const requestId = randomUUID();
    const call = {
      roleArn: params.get('RoleArn') ?? undefined,
      roleSessionName: params.get('RoleSessionName') ?? undefined,
      durationSeconds: params.has('DurationSeconds')
        ? Number(params.get('DurationSeconds'))
        : undefined,
    };
    try {
      const { role, partition, account, roleName, sessionName, duration } = validate(
        params,
        options.roles,
      );
      const payload = await verifyToken(params.get('WebIdentityToken')!, check, now());
      const subject = String(payload.sub ?? '');
      if (
        role === undefined ||
        (role.subject !== undefined && !matchesPattern(role.subject, subject))
      ) {
        throw new StsError(
          'AccessDenied',
          'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        );
      }
      if (duration > (role.maxSessionDuration ?? DEFAULT_STS_DURATION_SECONDS)) {
        throw new StsError(
          'ValidationError',
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        );
      }
      const lifetime = durationOverride ?? duration;
      const credential: IssuedCredential = {
        accessKeyId: `ASIA${randomBase32(16)}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        // Real session tokens are long base64 with `/`, `+` and `=`; so are these.
        sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(420).toString('base64')}`,
        // STS answers whole seconds.
        expiration: new Date(Math.floor(now() / 1000) * 1000 + lifetime * 1000),
        roleArn: role.arn,
        roleSessionName: sessionName,
        subject,
      };
      issued.push(credential);
      calls.push({ ...call, subject, outcome: 'issued' });
      const issuer = String(payload.iss ?? '').replace(/^https:\/\//, '');
      sendXml(
        res,
        200,
        requestId,
        successXml(
          credential,
          payload,
          audience,
          { partition, account, roleName, issuer },
          requestId,
        ),
      );
    } catch (error) {
      const failure =
        error instanceof StsError
          ? error
          : new StsError('InternalFailure', 'An internal error occurred.');
      calls.push({ ...call, outcome: failure.code });
      sendXml(
        res,
        STS_ERROR_STATUS[failure.code],
        requestId,
        stsErrorXml(failure.code, failure.message, requestId),
      );
    }
  }, options);

  return {
    ...server,
    issued,
    calls,
    lookup: (accessKeyId) => issued.find((c) => c.accessKeyId === accessKeyId),
    setDurationSeconds(seconds) {
      durationOverride = seconds;
    },
    failNext(code, { times = 1, message = `Injected ${code}` } = {}) {
      return server.inject({
        status: STS_ERROR_STATUS[code],
        body: stsErrorXml(code, message),
        headers: { 'content-type': 'text/xml' },
        times,
      });
    },
  };
}

function paramsOf(request: RecordedRequest): URLSearchParams {
  // STS takes the query API as a form body (the SDK's way) or in the query string.
  const params = new URLSearchParams(
    request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '',
  );
  for (const [name, value] of new URLSearchParams(request.body.toString('utf8')))
    params.set(name, value);
  return params;
}

function validate(params: URLSearchParams, roles: readonly StsRole[]) {
  const action = params.get('Action');
  const version = params.get('Version');
  if (action !== 'AssumeRoleWithWebIdentity' || version !== '2011-06-15') {
    throw new StsError(
      'InvalidAction',
      `Could not find operation ${action} for version ${version}`,
    );
  }
  for (const [param, member] of [
    ['RoleArn', 'roleArn'],
    ['RoleSessionName', 'roleSessionName'],
    ['WebIdentityToken', 'webIdentityToken'],
  ] as const) {
    if (!params.get(param)) {
      throw new StsError(
        'ValidationError',
        `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      );
    }
  }
  const sessionName = params.get('RoleSessionName')!;
  if (!SESSION_NAME.test(sessionName) || sessionName.length < 2 || sessionName.length > 64) {
    throw new StsError(
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
    );
  }
  const rawDuration = params.get('DurationSeconds');
  const duration = rawDuration === null ? DEFAULT_STS_DURATION_SECONDS : Number(rawDuration);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    throw new StsError(
      'ValidationError',
      `1 validation error detected: Value '${rawDuration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
    );
  }
  const arn = params.get('RoleArn')!;
  const match = ROLE_ARN.exec(arn);
  if (!match) throw new StsError('ValidationError', 'Request ARN is invalid');
  const [, partition, account, roleName] = match as unknown as [string, string, string, string];
  return {
    role: roles.find((r) => r.arn === arn),
    partition,
    account,
    roleName,
    sessionName,
    duration,
  };
}

interface TokenCheck {
  readonly verifySignature: (token: string) => Promise<JWTPayload>;
  /** True when keys come from the IdP's JWKS URL (so failures may be communication errors). */
  readonly remote: boolean;
  readonly issuer: string | undefined;
  readonly audience: string;
}

async function verifyToken(token: string, check: TokenCheck, now: number): Promise<JWTPayload> {
  const { issuer, audience } = check;
  let payload: JWTPayload;
  try {
    payload = await check.verifySignature(token);
  } catch (error) {
    throw tokenError(error, token, now, check.remote);
  }
  if (issuer !== undefined && payload.iss !== issuer) {
    throw new StsError(
      'InvalidIdentityToken',
      `No OpenIDConnect provider found in your account for ${payload.iss}`,
    );
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(audience))
    throw new StsError('InvalidIdentityToken', 'Incorrect token audience');
  // Checked here too: a custom verifier may not look at `exp`.
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now) throw expired(payload.exp, now);
  return payload;
}

function tokenError(error: unknown, token: string, now: number, remote: boolean): StsError {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return expired(expOf(token), now);
    case 'ERR_JWKS_TIMEOUT':
      return new StsError(
        'IDPCommunicationError',
        'The identity provider could not be reached to verify the web identity token.',
      );
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new StsError(
        'InvalidIdentityToken',
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      );
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new StsError(
        'InvalidIdentityToken',
        'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
      );
    default:
      // From a JWKS URL, anything unknown (a refused connection, a bad JWKS answer) is the IdP
      // being unreachable; a local verify function can only mean an invalid token.
      if (remote && !code?.startsWith('ERR_JW')) {
        return new StsError(
          'IDPCommunicationError',
          'The identity provider could not be reached to verify the web identity token.',
        );
      }
      return new StsError(
        'InvalidIdentityToken',
        'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.',
      );
  }
}

function expired(exp: unknown, now: number): StsError {
  return new StsError(
    'ExpiredTokenException',
    `Token expired: current date/time ${Math.floor(now / 1000)} must be before the expiration date/time${String(exp)}`,
  );
}

function expOf(token: string): unknown {
  try {
    return (
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload
    ).exp;
  } catch {
    return undefined;
  }
}

/** Trust-policy StringLike: `*` any run, `?` one character. */
function matchesPattern(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

function successXml(
  credential: IssuedCredential,
  payload: JWTPayload,
  audience: string,
  role: { partition: string; account: string; roleName: string; issuer: string },
  requestId: string,
): string {
  const roleId = `AROA${createHash('sha256').update(credential.roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
  return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Audience>${xml(audience)}</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>${xml(`${roleId}:${credential.roleSessionName}`)}</AssumedRoleId>
      <Arn>${xml(`arn:${role.partition}:sts::${role.account}:assumed-role/${role.roleName}/${credential.roleSessionName}`)}</Arn>
    </AssumedRoleUser>
    <Provider>${xml(`arn:${role.partition}:iam::${role.account}:oidc-provider/${role.issuer}`)}</Provider>
    <Credentials>
      <AccessKeyId>${credential.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xml(credential.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${xml(credential.sessionToken)}</SessionToken>
      <Expiration>${credential.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${xml(String(payload.sub ?? ''))}</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
}

/** AWS query-protocol XML error body, as STS sends it. */
export function stsErrorXml(
  code: StsErrorCode,
  message: string,
  requestId: string = randomUUID(),
): string {
  const type = STS_ERROR_STATUS[code] >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>${type}</Type>
    <Code>${code}</Code>
    <Message>${xml(message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>
`;
}

function sendXml(res: http.ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(body);
}

function xml(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
  );
}

function randomBase32(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(randomBytes(length), (b) => alphabet[b % 32]).join('');
}
