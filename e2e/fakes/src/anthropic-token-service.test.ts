import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicTokenService } from './anthropic-token-service.ts';
import type { AnthropicTokenService } from './anthropic-token-service.ts';
import { startGithubOidcIssuer } from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';

const ORG = '00000000-0000-4000-8000-0000000000ab';
let issuer: GithubOidcIssuer;
let service: AnthropicTokenService;

beforeAll(async () => {
  issuer = await startGithubOidcIssuer();
  service = await startAnthropicTokenService({
    issuer,
    rules: [{ id: 'fdrl_1', organizationId: ORG, serviceAccountId: 'svac_1' }],
    expiresIn: 120,
  });
});
afterAll(async () => {
  await Promise.all([service?.close(), issuer?.close()]);
});

async function exchange(assertion: string, extra: Record<string, string> = {}) {
  const response = await fetch(service.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
      federation_rule_id: 'fdrl_1',
      organization_id: ORG,
      service_account_id: 'svac_1',
      ...extra,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('startAnthropicTokenService', () => {
  it('issues an sk-ant-oat01 Bearer token for a GitHub token with the rule audience', async () => {
    const { status, body } = await exchange(await issuer.mint('https://api.anthropic.com'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 });
    expect(String(body.access_token)).toMatch(/^sk-ant-oat01-/);
    expect(service.accepts(String(body.access_token))).toBe(true);
    expect(service.exchanges).toBe(1);
  });

  it('refuses another audience, an unknown workspace and a bad signature with invalid_grant', async () => {
    expect((await exchange(await issuer.mint('elsewhere'))).body.error).toBe('invalid_grant');
    const good = await issuer.mint('https://api.anthropic.com');
    expect((await exchange(good, { workspace_id: 'wrkspc_other' })).status).toBe(401);
    expect((await exchange(`${good.slice(0, -4)}AAAA`)).status).toBe(401);
    expect(service.exchanges).toBe(1);
  });

  it('authorizes only a live Bearer token with the OAuth beta and no x-api-key', () => {
    const token = service.issued[0]!.token;
    const request = (headers: Record<string, string>) => ({
      method: 'POST',
      url: '/v1/messages',
      headers,
      body: Buffer.alloc(0),
      at: Date.now(),
    });
    const bearer = { authorization: `Bearer ${token}` };
    expect(service.authorizes(request({ ...bearer, 'anthropic-beta': 'x,oauth-2025-04-20' }))).toBe(
      true,
    );
    expect(service.authorizes(request(bearer))).toBe(false);
    expect(
      service.authorizes(
        request({ ...bearer, 'anthropic-beta': 'oauth-2025-04-20', 'x-api-key': 'k' }),
      ),
    ).toBe(false);
    service.revoke(token);
    expect(service.authorizes(request({ ...bearer, 'anthropic-beta': 'oauth-2025-04-20' }))).toBe(
      false,
    );
  });
});
