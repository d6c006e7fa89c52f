import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idTokenVerifier, startGithubOidcIssuer } from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';

describe('startGithubOidcIssuer', () => {
  let issuer: GithubOidcIssuer;

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer({ requestToken: 'request-token-1' });
  });
  afterAll(() => issuer.close());

  const fetchToken = (audience: string, token = issuer.requestToken) =>
    fetch(`${issuer.requestUrl}&audience=${encodeURIComponent(audience)}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it('publishes an openid-configuration that names itself and its JWKS', async () => {
    const config = (await (
      await fetch(`${issuer.url}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(config.issuer).toBe(issuer.url);
    expect(issuer.issuer).toBe(issuer.url);
    expect(config.jwks_uri).toBe(issuer.jwksUrl);
    expect(config.id_token_signing_alg_values_supported).toEqual(['RS256']);
  });

  it('mints an RS256 token with GitHub claims, verifiable through the published JWKS', async () => {
    expect(issuer.requestUrl).toMatch(/\/token\?api-version=2\.0$/);
    const res = await fetchToken('api://AzureADTokenExchange');
    expect(res.status).toBe(200);
    const { value } = (await res.json()) as { value: string };

    const { payload, protectedHeader } = await jwtVerify(
      value,
      createRemoteJWKSet(new URL(issuer.jwksUrl)),
      {
        issuer: issuer.url,
        audience: 'api://AzureADTokenExchange',
      },
    );
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      repository: 'octo-org/octo-repo',
      ref: 'refs/heads/main',
      job_workflow_ref: 'octo-org/octo-repo/.github/workflows/agent.yml@refs/heads/main',
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.nbf!).toBeLessThan(payload.iat!);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload).not.toHaveProperty('environment');
    expect(issuer.minted.at(-1)).toBe(value);
  });

  it('refuses a wrong or missing request token with 401 and mints nothing', async () => {
    const before = issuer.minted.length;
    expect((await fetchToken('aud', 'wrong')).status).toBe(401);
    expect((await fetch(`${issuer.requestUrl}&audience=aud`)).status).toBe(401);
    expect(issuer.minted).toHaveLength(before);
  });

  it('defaults the audience to the repository owner URL, like GitHub', async () => {
    const res = await fetch(issuer.requestUrl, {
      headers: { authorization: `Bearer ${issuer.requestToken}` },
    });
    const { value } = (await res.json()) as { value: string };
    expect(decodeJwt(value).aud).toBe('https://github.com/octo-org');
  });

  it('applies setLifetime and setClaims to later tokens (environment changes sub; undefined removes)', async () => {
    const local = await startGithubOidcIssuer({
      lifetimeSeconds: 60,
      claims: { environment: 'prod' },
    });
    try {
      const first = decodeJwt(await local.mint('a'));
      expect(first.exp! - first.iat!).toBe(60);
      expect(first.sub).toBe('repo:octo-org/octo-repo:environment:prod');

      local.setLifetime(30);
      local.setClaims({ environment: undefined, ref: 'refs/heads/dev' });
      const second = decodeJwt(await local.mint('a'));
      expect(second.exp! - second.iat!).toBe(30);
      expect(second.sub).toBe('repo:octo-org/octo-repo:ref:refs/heads/dev');
      expect(second).not.toHaveProperty('environment');

      // Explicit claims win over computed ones, e.g. an already expired token.
      const expired = decodeJwt(await local.mint('a', { exp: 1000, sub: 'custom' }));
      expect(expired).toMatchObject({ exp: 1000, sub: 'custom' });
      expect(local.minted).toHaveLength(3);
    } finally {
      await local.close();
    }
  });

  it('verify() checks audience and signature', async () => {
    const token = await issuer.mint('sts.amazonaws.com');
    await expect(issuer.verify(token, { audience: 'sts.amazonaws.com' })).resolves.toMatchObject({
      aud: 'sts.amazonaws.com',
    });
    await expect(issuer.verify(token, { audience: 'other' })).rejects.toThrow(/aud/);

    const stranger = await startGithubOidcIssuer();
    try {
      const foreign = await stranger.mint('sts.amazonaws.com');
      expect(decodeProtectedHeader(foreign).kid).not.toBe(decodeProtectedHeader(token).kid);
      await expect(issuer.verify(foreign, { audience: 'sts.amazonaws.com' })).rejects.toThrow();
    } finally {
      await stranger.close();
    }
  });

  it('idTokenVerifier() checks signature and expiry, in process or through the JWKS URL', async () => {
    const token = await issuer.mint('any');
    const jwksFetches = issuer.count('/.well-known/jwks');
    await expect(idTokenVerifier(issuer)(token)).resolves.toMatchObject({ aud: 'any' });
    expect(issuer.count('/.well-known/jwks')).toBe(jwksFetches);

    const remote = idTokenVerifier({ issuer: issuer.issuer, jwksUrl: issuer.jwksUrl });
    await expect(remote(token)).resolves.toMatchObject({ iss: issuer.issuer });
    expect(issuer.count('/.well-known/jwks')).toBe(jwksFetches + 1);
    const now = Math.floor(Date.now() / 1000);
    await expect(remote(await issuer.mint('any', { exp: now - 1 }))).rejects.toThrow(/exp/);
  });

  it('counts requests and honours injected faults', async () => {
    const before = issuer.count('/token');
    issuer.inject({ status: 503, times: 1 });
    expect((await fetchToken('aud')).status).toBe(503);
    expect((await fetchToken('aud')).status).toBe(200);
    expect(issuer.count('/token')).toBe(before + 2);
  });
});
