import { IdentityPoolClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathOf } from './fake-server.ts';
import { startGcpSts } from './gcp-sts.ts';
import type { GcpSts } from './gcp-sts.ts';
import { startGithubOidcIssuer } from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';

const PROVIDER = 'projects/123456789/locations/global/workloadIdentityPools/github/providers/octo';
const STS_AUDIENCE = `//iam.googleapis.com/${PROVIDER}`;
const TOKEN_AUDIENCE = `https://iam.googleapis.com/${PROVIDER}`;
const SERVICE_ACCOUNT = 'vertex-caller@my-project.iam.gserviceaccount.com';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';

describe('startGcpSts', () => {
  let issuer: GithubOidcIssuer;
  let sts: GcpSts;

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer();
    sts = await startGcpSts({
      issuer,
      audience: PROVIDER, // without the prefix: normalised
      serviceAccounts: [SERVICE_ACCOUNT],
      attributeCondition: (claims) => claims.repository_owner === 'octo-org',
    });
  });
  afterAll(async () => {
    await sts.close();
    await issuer.close();
  });

  /** A client as the gcp plugin builds it: programmatic supplier, plain-http endpoints. */
  const client = (extra: Record<string, unknown> = {}, mint = () => issuer.mint(TOKEN_AUDIENCE)) =>
    new IdentityPoolClient({
      type: 'external_account',
      audience: STS_AUDIENCE,
      subject_token_type: JWT,
      token_url: sts.tokenUrl,
      subject_token_supplier: { getSubjectToken: mint },
      scopes: [SCOPE],
      ...extra,
    });

  const exchange = async (fields: Record<string, string>) => {
    const res = await fetch(sts.tokenUrl, { method: 'POST', body: new URLSearchParams(fields) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const exchangeForm = async (overrides: Record<string, string> = {}) => ({
    grant_type: TOKEN_EXCHANGE,
    audience: STS_AUDIENCE,
    scope: SCOPE,
    requested_token_type: ACCESS_TOKEN,
    subject_token_type: JWT,
    subject_token: await issuer.mint(TOKEN_AUDIENCE),
    ...overrides,
  });
  const generate = (
    email: string,
    bearer: string,
    body: unknown = { scope: [SCOPE], lifetime: '600s' },
  ) =>
    fetch(sts.impersonationUrl(email), {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('exchanges a GitHub token for a federated token with IdentityPoolClient (direct)', async () => {
    const { token } = await client().getAccessToken();
    expect(token).toBe(sts.federated.at(-1));
    expect(sts.accepts(token!)).toBe(true);
    expect(sts.impersonated).not.toContain(token);

    const form = new URLSearchParams(sts.requests.at(-1)!.body.toString());
    expect(form.get('grant_type')).toBe(TOKEN_EXCHANGE);
    expect(form.get('audience')).toBe(STS_AUDIENCE);
    expect(form.get('requested_token_type')).toBe(ACCESS_TOKEN);
    expect(form.get('subject_token_type')).toBe(JWT);
    expect(form.get('scope')).toBe(SCOPE);
    expect(issuer.minted).toContain(form.get('subject_token'));
  });

  it('impersonates an allowed service account with IdentityPoolClient', async () => {
    const before = sts.requests.length;
    const { token } = await client({
      service_account_impersonation_url: sts.impersonationUrl(SERVICE_ACCOUNT),
      service_account_impersonation: { token_lifetime_seconds: 600 },
    }).getAccessToken();

    expect(token).toBe(sts.impersonated.at(-1));
    expect(sts.issued).toContain(token);
    const [stsCall, iamCall] = sts.requests.slice(before);
    expect(pathOf(stsCall!.url)).toBe('/v1/token');
    expect(pathOf(iamCall!.url)).toBe(
      `/v1/projects/-/serviceAccounts/${SERVICE_ACCOUNT}:generateAccessToken`,
    );
    // The IAM call carries the STS token, never the GitHub token.
    expect(iamCall!.headers.authorization).toBe(`Bearer ${sts.federated.at(-1)}`);
    expect(JSON.parse(iamCall!.body.toString())).toMatchObject({
      scope: [SCOPE],
      lifetime: '600s',
    });
  });

  it('caps the federated lifetime at the subject token and answers the token-exchange shape', async () => {
    const res = await exchange(await exchangeForm());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issued_token_type: ACCESS_TOKEN,
      token_type: 'Bearer',
    });
    // The subject token lives 300 s from its minting; a second boundary may pass before the exchange.
    expect(res.body.expires_in).toBeGreaterThanOrEqual(298);
    expect(res.body.expires_in).toBeLessThanOrEqual(300);

    sts.setExpiresIn(120);
    try {
      expect((await exchange(await exchangeForm())).body.expires_in).toBe(120);
    } finally {
      sts.setExpiresIn(3600);
    }
  });

  it('rejects a token minted for the wrong audience with invalid_grant naming it', async () => {
    const res = await exchange(
      await exchangeForm({ subject_token: await issuer.mint('api://AzureADTokenExchange') }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toBe(
      'The audience in ID Token [api://AzureADTokenExchange] does not match the expected audience.',
    );
    await expect(
      client({}, () => issuer.mint('sts.amazonaws.com')).getAccessToken(),
    ).rejects.toThrow(/invalid_grant|audience/);
  });

  it('rejects another provider (invalid_target) and a malformed audience (invalid_request)', async () => {
    const other = await exchange(
      await exchangeForm({ audience: STS_AUDIENCE.replace('/octo', '/other') }),
    );
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const malformed = await exchange(await exchangeForm({ audience: TOKEN_AUDIENCE }));
    expect(malformed.body.error).toBe('invalid_request');
    expect(malformed.body.error_description).toMatch(/^Invalid value for "audience"/);
  });

  it('rejects expired, forged and condition-failing subject tokens and bad grant parameters', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await issuer.mint(TOKEN_AUDIENCE, { iat: now - 900, exp: now - 600 });
    expect((await exchange(await exchangeForm({ subject_token: expired }))).body).toMatchObject({
      error: 'invalid_grant',
    });

    const stranger = await startGithubOidcIssuer({ issuer: issuer.issuer });
    try {
      const forged = await stranger.mint(TOKEN_AUDIENCE);
      expect((await exchange(await exchangeForm({ subject_token: forged }))).body).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid JWT signature.',
      });
    } finally {
      await stranger.close();
    }

    const outsider = await issuer.mint(TOKEN_AUDIENCE, { repository_owner: 'evil-org' });
    expect((await exchange(await exchangeForm({ subject_token: outsider }))).body).toMatchObject({
      error: 'unauthorized_client',
      error_description: 'The given credential is rejected by the attribute condition.',
    });

    expect((await exchange(await exchangeForm({ grant_type: 'client_credentials' }))).status).toBe(
      400,
    );
    expect((await exchange(await exchangeForm({ requested_token_type: JWT }))).body.error).toBe(
      'invalid_request',
    );
    expect((await exchange(await exchangeForm({ subject_token_type: 'saml' }))).body.error).toBe(
      'invalid_request',
    );
  });

  it('requires a live STS token for generateAccessToken (401 UNAUTHENTICATED)', async () => {
    const github = await issuer.mint(TOKEN_AUDIENCE);
    const res = await generate(SERVICE_ACCOUNT, github);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(sts.impersonated).not.toContain(github);
  });

  it('denies a service account that is not allowed (403 PERMISSION_DENIED), also through the SDK', async () => {
    const { body } = await exchange(await exchangeForm());
    const res = await generate(
      'someone-else@my-project.iam.gserviceaccount.com',
      String(body.access_token),
    );
    expect(res.status).toBe(403);
    const denied = (await res.json()) as {
      error: { code: number; message: string; status: string };
    };
    expect(denied.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(denied.error.message).toMatch(
      /^Permission 'iam\.serviceAccounts\.getAccessToken' denied/,
    );

    const sdk = client({
      service_account_impersonation_url: sts.impersonationUrl(
        'someone-else@my-project.iam.gserviceaccount.com',
      ),
    });
    await expect(sdk.getAccessToken()).rejects.toThrow(/iam\.serviceAccounts\.getAccessToken/);
  });

  it('grants the requested lifetime, or the forced one, as an ISO expireTime', async () => {
    const { body } = await exchange(await exchangeForm());
    const sts1 = String(body.access_token);
    const before = Date.now();
    const granted = (await (await generate(SERVICE_ACCOUNT, sts1)).json()) as {
      accessToken: string;
      expireTime: string;
    };
    const lifetime = Date.parse(granted.expireTime) - before;
    expect(granted.expireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lifetime).toBeGreaterThan(590_000);
    expect(lifetime).toBeLessThanOrEqual(601_000);
    expect(sts.accepts(granted.accessToken)).toBe(true);

    sts.setImpersonationLifetime(-1);
    try {
      const forced = (await (await generate(SERVICE_ACCOUNT, sts1)).json()) as {
        accessToken: string;
      };
      expect(sts.accepts(forced.accessToken)).toBe(false);
    } finally {
      sts.setImpersonationLifetime(undefined);
    }

    expect(
      (await generate(SERVICE_ACCOUNT, sts1, { scope: [SCOPE], lifetime: '7200s' })).status,
    ).toBe(400);
    expect((await generate(SERVICE_ACCOUNT, sts1, { lifetime: '60s' })).status).toBe(400);
  });

  it('injects faults per endpoint', async () => {
    const fault = sts.inject({
      status: 500,
      times: 1,
      match: (r) => pathOf(r.url).endsWith(':generateAccessToken'),
    });
    const before = sts.count('/v1/token');
    const { status, body } = await exchange(await exchangeForm());
    expect(status).toBe(200);
    expect(fault.times).toBe(1);
    expect((await generate(SERVICE_ACCOUNT, String(body.access_token))).status).toBe(500);
    expect((await generate(SERVICE_ACCOUNT, String(body.access_token))).status).toBe(200);
    expect(sts.count('/v1/token')).toBe(before + 1);
  });
});
