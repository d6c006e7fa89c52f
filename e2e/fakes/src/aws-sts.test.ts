import { fromWebToken } from '@aws-sdk/credential-providers';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsSts } from './aws-sts.ts';
import type { AwsStsFake } from './aws-sts.ts';
import { sendJson, startFakeServer } from './fake-server.ts';
import type { FakeServer } from './fake-server.ts';

const ROLE = 'arn:aws:iam::123456789012:role/keyless-ci';
const SUB_ROLE = 'arn:aws-us-gov:iam::123456789012:role/ci/main-only';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SUB = 'repo:octo/keyless:ref:refs/heads/main';
// A fixed clock (whole seconds) makes every expiry exact.
const T = Math.floor(Date.now() / 1000) * 1000;

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let signingKey: Key;
let otherKey: Key;
let jwk: JWK;
let jwksServer: FakeServer;
let sts: AwsStsFake;

async function mint(claims: Record<string, unknown> = {}, key: Key = signingKey): Promise<string> {
  const payload = {
    sub: SUB,
    aud: 'sts.amazonaws.com',
    iss: ISSUER,
    iat: T / 1000,
    exp: T / 1000 + 300,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
}

/** What the gateway's provider does: one fromWebToken call per acquisition. */
function acquire(
  webIdentityToken: string,
  init: { roleArn?: string; durationSeconds?: number } = {},
) {
  return fromWebToken({
    roleArn: init.roleArn ?? ROLE,
    roleSessionName: 'gh-123-1',
    webIdentityToken,
    durationSeconds: init.durationSeconds,
    clientConfig: { region: 'us-east-1', endpoint: sts.url },
  })();
}

async function post(
  form: Record<string, string>,
  url = sts.url,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, text: await response.text() };
}

function form(overrides: Record<string, string> = {}, token = ''): Record<string, string> {
  return {
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: ROLE,
    RoleSessionName: 'gh-1-1',
    WebIdentityToken: token,
    ...overrides,
  };
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = await startFakeServer((_request, res) => sendJson(res, 200, { keys: [jwk] }));
  sts = await startAwsSts({
    jwksUrl: `${jwksServer.url}/.well-known/jwks`,
    issuer: ISSUER,
    roles: [
      { arn: ROLE },
      { arn: SUB_ROLE, subject: 'repo:octo/keyless:ref:refs/heads/*', maxSessionDuration: 7200 },
    ],
    now: () => T,
  });
});

afterAll(async () => {
  await sts.close();
  await jwksServer.close();
});

describe('AssumeRoleWithWebIdentity with the official fromWebToken', () => {
  it('issues ASIA credentials that the SDK reads back exactly', async () => {
    const before = sts.issued.length;
    const credentials = await acquire(await mint());
    const issued = sts.issued[before]!;
    expect(sts.issued).toHaveLength(before + 1);
    expect(credentials).toMatchObject({
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
    });
    expect(issued.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials.expiration?.getTime()).toBe(T + 3600_000);
    expect(issued).toMatchObject({ roleArn: ROLE, roleSessionName: 'gh-123-1', subject: SUB });
    expect(sts.lookup(issued.accessKeyId)).toBe(issued);
    expect(sts.calls.at(-1)).toMatchObject({
      roleArn: ROLE,
      roleSessionName: 'gh-123-1',
      outcome: 'issued',
    });
  });

  it('honours DurationSeconds, and the override knob above it', async () => {
    expect((await acquire(await mint(), { durationSeconds: 900 })).expiration?.getTime()).toBe(
      T + 900_000,
    );
    sts.setDurationSeconds(5);
    try {
      expect((await acquire(await mint(), { durationSeconds: 900 })).expiration?.getTime()).toBe(
        T + 5_000,
      );
    } finally {
      sts.setDurationSeconds(undefined);
    }
    expect((await acquire(await mint())).expiration?.getTime()).toBe(T + 3600_000);
  });

  it('performs one STS call per acquisition (no SDK caching)', async () => {
    const before = sts.count('/');
    const token = await mint();
    await acquire(token);
    await acquire(token);
    expect(sts.count('/') - before).toBe(2);
  });

  it.each([
    [
      'a wrong audience',
      () => mint({ aud: 'api://AzureADTokenExchange' }),
      'InvalidIdentityToken',
      /Incorrect token audience/,
    ],
    [
      'another issuer',
      () => mint({ iss: 'https://evil.example' }),
      'InvalidIdentityToken',
      /No OpenIDConnect provider/,
    ],
    [
      'a foreign signature',
      () => mint({}, otherKey),
      'InvalidIdentityToken',
      /could not be validated/,
    ],
    ['not a JWT', async () => 'not-a-jwt', 'InvalidIdentityToken', /not a valid JWT/],
    [
      'an expired token',
      () => mint({ exp: T / 1000 - 1 }),
      'ExpiredTokenException',
      /^Token expired: current date\/time/,
    ],
  ])('rejects %s', async (_name, token, code, message) => {
    const error = await acquire(await token()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: expect.stringContaining(code),
      message: expect.stringMatching(message),
    });
    expect(sts.calls.at(-1)?.outcome).toBe(code);
  });

  it('denies an unknown role and a subject outside the trust policy', async () => {
    const unknown = await acquire(await mint(), {
      roleArn: 'arn:aws:iam::123456789012:role/other',
    }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const pr = await acquire(await mint({ sub: 'repo:octo/keyless:pull_request' }), {
      roleArn: SUB_ROLE,
    }).catch((e: unknown) => e);
    expect(pr).toMatchObject({
      name: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    });
    const main = await acquire(await mint(), { roleArn: SUB_ROLE, durationSeconds: 7200 });
    expect(main.expiration?.getTime()).toBe(T + 7200_000);
    expect(sts.issued.at(-1)?.roleArn).toBe(SUB_ROLE);
  });

  it('surfaces an injected fault once, then recovers', async () => {
    const fault = sts.failNext('RegionDisabledException', {
      message: 'STS is not activated in this region',
    });
    const error = await acquire(await mint()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'RegionDisabledException',
      message: 'STS is not activated in this region',
    });
    expect(fault.times).toBe(0);
    await expect(acquire(await mint())).resolves.toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA/),
    });
  });
});

describe('wire format', () => {
  it('answers XML errors with Type, Code, Message and RequestId', async () => {
    const { status, text } = await post(form({ RoleSessionName: 'has space' }, await mint()));
    expect(status).toBe(400);
    expect(text).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>ValidationError<\/Code>\s*<Message>[^<]*roleSessionName[^<]*<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>/,
    );
  });

  it.each([
    [{ Action: 'AssumeRole' }, 'InvalidAction'],
    [{ RoleArn: 'arn:aws:iam::12:role/x' }, 'ValidationError'],
    [{ DurationSeconds: '600' }, 'ValidationError'],
    [{ DurationSeconds: '7200' }, 'ValidationError'],
    [{ WebIdentityToken: '' }, 'ValidationError'],
  ])('validates parameters: %o', async (overrides, code) => {
    const { status, text } = await post(form(overrides, await mint()));
    expect(status).toBe(400);
    expect(text).toContain(`<Code>${code}</Code>`);
  });

  it('answers success with the documented elements', async () => {
    const { status, text } = await post(form({}, await mint()));
    expect(status).toBe(200);
    for (const element of [
      '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
      '<Audience>sts.amazonaws.com</Audience>',
      `<SubjectFromWebIdentityToken>${SUB}</SubjectFromWebIdentityToken>`,
      '<Arn>arn:aws:sts::123456789012:assumed-role/keyless-ci/gh-1-1</Arn>',
      `<Expiration>${new Date(T + 3600_000).toISOString().replace('.000Z', 'Z')}</Expiration>`,
    ]) {
      expect(text).toContain(element);
    }
    expect(text).toMatch(/<AssumedRoleId>AROA[0-9A-F]{17}:gh-1-1<\/AssumedRoleId>/);
  });

  it('reports an unreachable identity provider as IDPCommunicationError', async () => {
    const closed = await startFakeServer(() => undefined);
    await closed.close();
    const lonely = await startAwsSts({
      jwksUrl: `${closed.url}/jwks`,
      roles: [{ arn: ROLE }],
      now: () => T,
    });
    try {
      const { status, text } = await post(form({}, await mint()), lonely.url);
      expect(status).toBe(400);
      expect(text).toContain('<Code>IDPCommunicationError</Code>');
      expect(lonely.issued).toHaveLength(0);
    } finally {
      await lonely.close();
    }
  });

  it('accepts a verify function instead of a JWKS URL', async () => {
    const keys = createLocalJWKSet({ keys: [jwk] });
    const custom = await startAwsSts({
      verifyWebIdentity: async (token) =>
        (await jwtVerify(token, keys, { currentDate: new Date(T) })).payload,
      roles: [{ arn: ROLE, subject: SUB }],
      now: () => T,
    });
    try {
      const credentials = await fromWebToken({
        roleArn: ROLE,
        roleSessionName: 's1',
        webIdentityToken: await mint(),
        clientConfig: { region: 'eu-west-1', endpoint: custom.url },
      })();
      expect(credentials.accessKeyId).toBe(custom.issued[0]?.accessKeyId);
      const forged = await post(form({}, await mint({}, otherKey)), custom.url);
      expect(forged.status).toBe(400);
      expect(forged.text).toContain('<Code>InvalidIdentityToken</Code>');
    } finally {
      await custom.close();
    }
  });
});
