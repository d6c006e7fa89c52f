import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordedRequest } from './fake-server.ts';
import { startGithubOidcIssuer } from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';
import { startTestTokenService } from './test-token-service.ts';
import type { TestTokenService } from './test-token-service.ts';

const AUDIENCE = 'keyless-test';

describe('startTestTokenService', () => {
  let issuer: GithubOidcIssuer;
  let service: TestTokenService;

  beforeAll(async () => {
    issuer = await startGithubOidcIssuer();
    service = await startTestTokenService({ issuer, expiresIn: 120 });
  });
  afterAll(async () => {
    await service.close();
    await issuer.close();
  });
  afterEach(() => {
    vi.useRealTimers();
    service.clearFaults();
    service.setExpiresIn(120);
  });

  const exchange = (body: unknown) =>
    fetch(service.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const withBearer = (token: string) =>
    ({ headers: { authorization: `Bearer ${token}` } }) as unknown as RecordedRequest;

  it('exchanges a valid GitHub token for an opaque access token it then accepts', async () => {
    const subject = await issuer.mint(AUDIENCE);
    const res = await exchange({ subject_token: subject, audience: AUDIENCE });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      access_token: string;
      expires_in: number;
      token_type: string;
    };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 });
    expect(body.access_token).toMatch(/^test-access-[\w-]{32}$/);
    expect(body.access_token).not.toContain(subject);
    expect(service.issued.at(-1)!.token).toBe(body.access_token);
    expect(service.issued.at(-1)!.expiresAt).toBeGreaterThan(Date.now() + 100_000);
    expect(service.accepts(body.access_token)).toBe(true);
    expect(service.authorizes(withBearer(body.access_token))).toBe(true);
    expect(service.accepts('test-access-made-up')).toBe(false);
    expect(service.accepts(undefined)).toBe(false);
    expect(service.authorizes(withBearer('test-access-made-up'))).toBe(false);
  });

  it('answers 401 for a wrong audience or an expired GitHub token and 400 for a bad body', async () => {
    const before = service.issued.length;
    const wrongAudience = await exchange({
      subject_token: await issuer.mint('someone-else'),
      audience: AUDIENCE,
    });
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.json()).toMatchObject({ error: 'invalid_grant' });

    issuer.setLifetime(-60);
    try {
      const expired = await exchange({
        subject_token: await issuer.mint(AUDIENCE),
        audience: AUDIENCE,
      });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { error_description: string }).error_description).toMatch(
        /exp/,
      );
    } finally {
      issuer.setLifetime(300);
    }

    expect((await exchange({ audience: AUDIENCE })).status).toBe(400);
    expect(service.issued.length).toBe(before);
  });

  it('stops accepting a revoked or expired token and applies a new lifetime', async () => {
    service.setExpiresIn(30);
    const res = await exchange({ subject_token: await issuer.mint(AUDIENCE), audience: AUDIENCE });
    const { access_token: first, expires_in } = (await res.json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(expires_in).toBe(30);
    const second = (
      (await (
        await exchange({ subject_token: await issuer.mint(AUDIENCE), audience: AUDIENCE })
      ).json()) as { access_token: string }
    ).access_token;

    service.revoke(first);
    expect(service.accepts(first)).toBe(false);
    expect(service.accepts(second)).toBe(true);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    expect(service.accepts(second)).toBe(false);
  });

  it('holds answers back until released', async () => {
    const subject = await issuer.mint(AUDIENCE);
    service.hold();
    let settled = false;
    const pending = exchange({ subject_token: subject, audience: AUDIENCE }).finally(() => {
      settled = true;
    });
    await expect.poll(() => service.held).toBe(1);
    expect(settled).toBe(false);
    service.release();
    expect((await pending).status).toBe(200);
    expect(service.held).toBe(0);
  });

  it('injects faults from the base server', async () => {
    service.inject({ status: 503, times: 1 });
    const subject = await issuer.mint(AUDIENCE);
    expect((await exchange({ subject_token: subject, audience: AUDIENCE })).status).toBe(503);
    expect((await exchange({ subject_token: subject, audience: AUDIENCE })).status).toBe(200);
    expect((await fetch(`${service.url}/other`)).status).toBe(404);
  });
});
