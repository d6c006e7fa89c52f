import { fakeAcquireContext } from '@keyless/auth-core/testing';
import {
  startAnthropicTokenService,
  startGithubOidcIssuer,
  type AnthropicTokenService,
  type GithubOidcIssuer,
} from '@keyless/fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAnthropicConfig } from './anthropic-config.ts';
import { AnthropicExchangeError } from './errors.ts';
import { exchangeAnthropicToken, JWT_BEARER_GRANT } from './exchange-anthropic-token.ts';

const ORG = '00000000-0000-4000-8000-0000000000ab';
const AUDIENCE = 'https://api.anthropic.com';
let issuer: GithubOidcIssuer;
let service: AnthropicTokenService;

beforeAll(async () => {
  issuer = await startGithubOidcIssuer();
  service = await startAnthropicTokenService({
    issuer,
    rules: [
      { id: 'fdrl_one', organizationId: ORG, serviceAccountId: 'svac_one' },
      {
        id: 'fdrl_many',
        organizationId: ORG,
        serviceAccountId: 'svac_one',
        workspaces: ['wrkspc_a', 'wrkspc_b'],
      },
    ],
  });
});
afterAll(async () => {
  await Promise.all([service?.close(), issuer?.close()]);
});
beforeEach(() => service.clearFaults());

function config(env: Record<string, string> = {}) {
  return parseAnthropicConfig({
    AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_one',
    AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: ORG,
    AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_one',
    AWF_AUTH_ANTHROPIC_TOKEN_URL: service.tokenUrl,
    ...env,
  });
}

async function failure(promise: Promise<unknown>): Promise<AnthropicExchangeError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AnthropicExchangeError);
  return error as AnthropicExchangeError;
}

describe('exchangeAnthropicToken', () => {
  it('posts the jwt-bearer grant as JSON with the federation betas and returns the token with its expiry', async () => {
    const assertion = await issuer.mint(AUDIENCE);
    const context = fakeAcquireContext();
    const before = Date.now();
    const token = await exchangeAnthropicToken(assertion, config(), context);
    const sent = service.requests.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['anthropic-beta']).toBe('oauth-2025-04-20,oidc-federation-2026-04-01');
    expect(JSON.parse(sent.body.toString('utf8'))).toEqual({
      grant_type: JWT_BEARER_GRANT,
      assertion,
      federation_rule_id: 'fdrl_one',
      organization_id: ORG,
      service_account_id: 'svac_one',
    });
    expect(token.accessToken).toBe(service.issued.at(-1)!.token);
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(context.secrets).toEqual([token.accessToken]);
  });

  it('names the workspace when one is configured', async () => {
    const token = await exchangeAnthropicToken(
      await issuer.mint(AUDIENCE),
      config({
        AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_many',
        AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'wrkspc_b',
      }),
      fakeAcquireContext(),
    );
    expect(JSON.parse(service.requests.at(-1)!.body.toString('utf8'))).toMatchObject({
      workspace_id: 'wrkspc_b',
    });
    expect(service.issued.at(-1)).toMatchObject({
      token: token.accessToken,
      workspaceId: 'wrkspc_b',
    });
  });

  it('a refused GitHub token is not retryable; the fix names its claims and the workspace setting', async () => {
    const error = await failure(
      exchangeAnthropicToken(
        await issuer.mint('some-other-audience'),
        config(),
        fakeAcquireContext(),
      ),
    );
    expect(error).toMatchObject({
      code: 'KEYLESS_ERR_ANTHROPIC_FEDERATION_REJECTED',
      hop: 'anthropic-token',
      retryable: false,
      upstreamStatus: 401,
    });
    expect(error.message).toContain(
      'invalid_grant: the assertion does not match the federation rule',
    );
    expect(error.fix).toContain('audience some-other-audience');
    expect(error.fix).toContain('subject repo:');
    expect(error.fix).toContain('AWF_AUTH_ANTHROPIC_WORKSPACE_ID (engine.auth.workspace-id)');
  });

  it('a rule over several workspaces without a workspace id is refused with that fix', async () => {
    const error = await failure(
      exchangeAnthropicToken(
        await issuer.mint(AUDIENCE),
        config({ AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_many' }),
        fakeAcquireContext(),
      ),
    );
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('covers several workspaces');
  });

  it('unknown ids are an invalid request naming the id settings', async () => {
    const error = await failure(
      exchangeAnthropicToken(
        await issuer.mint(AUDIENCE),
        config({ AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_nobody' }),
        fakeAcquireContext(),
      ),
    );
    expect(error).toMatchObject({ kind: 'invalid', retryable: false, upstreamStatus: 400 });
    expect(error.fix).toContain('AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID');
  });

  it('remote text is redacted before it is quoted: an echoed GitHub token never reaches the message', async () => {
    const assertion = await issuer.mint(AUDIENCE);
    const context = fakeAcquireContext();
    context.registerSecret(assertion);
    service.inject({
      status: 400,
      times: 1,
      body: JSON.stringify({
        error: 'invalid_request',
        error_description: `bad assertion ${assertion}`,
      }),
    });
    const error = await failure(exchangeAnthropicToken(assertion, config(), context));
    expect(error.message).toContain('bad assertion [REDACTED]');
    expect(error.message).not.toContain(assertion);
  });

  it.each([
    [500, 'server', true],
    [429, 'server', true],
    [404, 'notFound', false],
  ] as const)('HTTP %i is %s (retryable: %s)', async (status, kind, retryable) => {
    service.inject({ status, times: 1 });
    const error = await failure(
      exchangeAnthropicToken(await issuer.mint(AUDIENCE), config(), fakeAcquireContext()),
    );
    expect(error).toMatchObject({ kind, retryable, upstreamStatus: status });
  });

  it('never follows a redirect: the GitHub token goes nowhere else', async () => {
    const target = await startAnthropicTokenService({ issuer, rules: [] });
    try {
      service.inject({ status: 307, times: 1, headers: { location: target.tokenUrl } });
      const error = await failure(
        exchangeAnthropicToken(await issuer.mint(AUDIENCE), config(), fakeAcquireContext()),
      );
      expect(error).toMatchObject({ kind: 'redirect', retryable: false, upstreamStatus: 307 });
      expect(error.message).toContain(`a redirect to ${target.tokenUrl}`);
      expect(target.requests).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('an answer that is not JSON, or has no lifetime, is a bad answer (the token still registered)', async () => {
    service.inject({ malformed: true, times: 1 });
    expect(
      (
        await failure(
          exchangeAnthropicToken(await issuer.mint(AUDIENCE), config(), fakeAcquireContext()),
        )
      ).kind,
    ).toBe('badAnswer');

    service.inject({
      status: 200,
      times: 1,
      body: JSON.stringify({ access_token: 'sk-ant-oat01-nolife' }),
    });
    const context = fakeAcquireContext();
    const error = await failure(
      exchangeAnthropicToken(await issuer.mint(AUDIENCE), config(), context),
    );
    expect(error.message).toContain('without a positive expires_in');
    expect(context.secrets).toEqual(['sk-ant-oat01-nolife']);

    service.inject({
      status: 200,
      times: 1,
      body: JSON.stringify({ access_token: 'sk-ant-oat01-mac', token_type: 'mac', expires_in: 60 }),
    });
    expect(
      (
        await failure(
          exchangeAnthropicToken(await issuer.mint(AUDIENCE), config(), fakeAcquireContext()),
        )
      ).message,
    ).toContain('token_type mac, not Bearer');
  });

  it('an endpoint that cannot be reached is retryable and says where', async () => {
    const closed = await startAnthropicTokenService({ issuer, rules: [] });
    await closed.close();
    const error = await failure(
      exchangeAnthropicToken(
        await issuer.mint(AUDIENCE),
        config({ AWF_AUTH_ANTHROPIC_TOKEN_URL: closed.tokenUrl }),
        fakeAcquireContext(),
      ),
    );
    expect(error).toMatchObject({ kind: 'unreachable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.fix).toContain('HTTPS_PROXY / NO_PROXY');
  });
});
