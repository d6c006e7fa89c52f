import https from 'node:https';
import { ClientAssertionCredential } from '@azure/identity';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntra } from './entra.ts';
import { pathOf } from './fake-server.ts';
import type { Entra } from './entra.ts';
import { startGithubOidcIssuer } from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';
import { createTestCa } from './tls.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b3f4b2a-6d7e-4c8f-9a1b-2c3d4e5f6a7b';
const SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
const SCOPE = 'https://cognitiveservices.azure.com/.default';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
}

describe('startEntra', () => {
  let issuer: GithubOidcIssuer;
  let entra: Entra;
  let dispatcher: Agent;
  let caAgent: https.Agent;

  beforeAll(async () => {
    const ca = await createTestCa();
    issuer = await startGithubOidcIssuer();
    entra = await startEntra({
      issuer,
      tls: await ca.issue(),
      federatedCredentials: [{ tenantId: TENANT, clientId: CLIENT, subject: SUBJECT }],
    });
    dispatcher = new Agent({ connect: { ca: ca.certPem } });
    caAgent = new https.Agent({ ca: ca.certPem });
  });
  afterAll(async () => {
    caAgent.destroy();
    await dispatcher.close();
    await entra.close();
    await issuer.close();
  });

  /** Posts a token request over TLS trusting only the test CA. */
  const postToken = async (fields: Record<string, string>, tenant = TENANT) => {
    const res = await request(entra.tokenUrl(tenant), {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  const tokenForm = async (overrides: Record<string, string> = {}, assertion?: string) => ({
    client_id: CLIENT,
    scope: SCOPE,
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion ?? (await issuer.mint('api://AzureADTokenExchange')),
    ...overrides,
  });
  const expectAadsts = (
    res: { status: number; body: Record<string, unknown> },
    status: number,
    error: string,
    code: number,
  ) => {
    const body = res.body as unknown as EntraErrorBody;
    expect(res.status).toBe(status);
    expect(body.error).toBe(error);
    expect(body.error_codes).toEqual([code]);
    expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
    return body.error_description;
  };

  /** A credential as the azure plugin builds it, trusting the test CA through a pipeline policy. */
  const credential = (getAssertion: () => Promise<string>, tenant = TENANT) => {
    const trustTestCa: PipelinePolicy = {
      name: 'trustTestCa',
      sendRequest: (req, next) => {
        req.agent = caAgent;
        return next(req);
      },
    };
    return new ClientAssertionCredential(tenant, CLIENT, getAssertion, {
      authorityHost: entra.authorityHost,
      disableInstanceDiscovery: true,
      additionalPolicies: [{ policy: trustTestCa, position: 'perCall' }],
      retryOptions: { maxRetries: 0 },
    });
  };

  it('serves the token to @azure/identity ClientAssertionCredential over TLS', async () => {
    const before = entra.requests.length;
    const result = await credential(() => issuer.mint('api://AzureADTokenExchange')).getToken(
      SCOPE,
    );

    expect(entra.issued).toContain(result.token);
    expect(entra.accepts(result.token)).toBe(true);
    expect(result.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3500_000);
    const calls = entra.requests.slice(before).map((r) => `${r.method} ${pathOf(r.url)}`);
    expect(calls).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const form = new URLSearchParams(entra.requests.at(-1)!.body.toString());
    expect(form.get('client_id')).toBe(CLIENT);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_assertion_type')).toBe(JWT_BEARER);
  });

  it('surfaces a federated-credential mismatch to the SDK with its AADSTS code', async () => {
    const mint = () =>
      issuer.mint('api://AzureADTokenExchange', { sub: 'repo:octo-org/other:ref:refs/heads/main' });
    await expect(credential(mint).getToken(SCOPE)).rejects.toThrow(/AADSTS700213/);
  });

  it('answers success in Entra shape with a configurable expires_in', async () => {
    const ok = await postToken(await tokenForm());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(entra.issued.at(-1)).toBe(ok.body.access_token);

    entra.setExpiresIn(120);
    try {
      expect((await postToken(await tokenForm())).body).toMatchObject({
        expires_in: 120,
        ext_expires_in: 120,
      });
    } finally {
      entra.setExpiresIn(3599);
    }
    expect(entra.accepts('never-issued')).toBe(false);
  });

  it('rejects an unknown tenant at discovery and at the token endpoint (AADSTS90002)', async () => {
    const discovery = await request(
      `${entra.url}/contoso.example/v2.0/.well-known/openid-configuration`,
      { dispatcher },
    );
    expect(discovery.statusCode).toBe(400);
    expect(((await discovery.body.json()) as EntraErrorBody).error_codes).toEqual([90002]);
    expectAadsts(
      await postToken(await tokenForm(), 'contoso.example'),
      400,
      'invalid_request',
      90002,
    );
  });

  it('rejects an unknown client (AADSTS700016) and a bad scope (AADSTS70011)', async () => {
    const unknown = expectAadsts(
      await postToken(await tokenForm({ client_id: 'a'.repeat(8) })),
      400,
      'unauthorized_client',
      700016,
    );
    expect(unknown).toContain("'aaaaaaaa'");
    const scope = expectAadsts(
      await postToken(await tokenForm({ scope: 'api://AzureADTokenExchange' })),
      400,
      'invalid_scope',
      70011,
    );
    expect(scope).toContain('api://AzureADTokenExchange');
  });

  it('rejects an expired assertion (AADSTS700024)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await issuer.mint('api://AzureADTokenExchange', {
      iat: now - 900,
      nbf: now - 900,
      exp: now - 600,
    });
    expectAadsts(await postToken(await tokenForm({}, expired)), 401, 'invalid_client', 700024);
  });

  it('names which of issuer, audience or subject failed to match', async () => {
    const mint = (claims: Record<string, unknown>, audience = 'api://AzureADTokenExchange') =>
      issuer.mint(audience, claims);
    const iss = expectAadsts(
      await postToken(await tokenForm({}, await mint({ iss: 'https://evil.example' }))),
      401,
      'invalid_client',
      700211,
    );
    expect(iss).toContain("'https://evil.example'");
    const aud = expectAadsts(
      await postToken(await tokenForm({}, await mint({}, 'https://cognitiveservices.azure.com'))),
      401,
      'invalid_client',
      700212,
    );
    expect(aud).toContain("'https://cognitiveservices.azure.com'");
    const sub = expectAadsts(
      await postToken(await tokenForm({}, await mint({ environment: 'prod' }))),
      401,
      'invalid_client',
      700213,
    );
    expect(sub).toContain("'repo:octo-org/octo-repo:environment:prod'");
    const caseOnly = SUBJECT.replace('octo-org', 'Octo-Org');
    expectAadsts(
      await postToken(await tokenForm({}, await mint({ sub: caseOnly }))),
      401,
      'invalid_client',
      7002138,
    );
  });

  it('can answer mismatches with the classic AADSTS70021', async () => {
    const ca = await createTestCa();
    const legacy = await startEntra({
      issuer,
      tls: await ca.issue(),
      federatedCredentials: [
        { tenantId: TENANT, clientId: CLIENT, subject: 'repo:x/y:environment:prod' },
      ],
      legacyMismatchError: true,
    });
    const agent = new Agent({ connect: { ca: ca.certPem } });
    try {
      const res = await request(legacy.tokenUrl(TENANT), {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(await tokenForm()).toString(),
      });
      const body = expectAadsts(
        { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> },
        400,
        'invalid_request',
        70021,
      );
      expect(body).toContain(`Assertion Subject: '${SUBJECT}'`);
      expect(legacy.issued).toHaveLength(0);
    } finally {
      await agent.close();
      await legacy.close();
    }
  });

  it('rejects a foreign signature (AADSTS700027), a malformed assertion (AADSTS50027) and a client secret (AADSTS7000215)', async () => {
    const stranger = await startGithubOidcIssuer({ issuer: issuer.issuer });
    try {
      const forged = await stranger.mint('api://AzureADTokenExchange');
      const res = await postToken(await tokenForm({}, forged));
      expectAadsts(res, 401, 'invalid_client', 700027);
      expect(JSON.stringify(res.body)).not.toContain(forged);
    } finally {
      await stranger.close();
    }
    expectAadsts(await postToken(await tokenForm({}, 'not-a-jwt')), 400, 'invalid_request', 50027);
    const form = await tokenForm();
    const { client_assertion: _a, client_assertion_type: _t, ...secretForm } = form;
    expectAadsts(
      await postToken({ ...secretForm, client_secret: 'shh' }),
      401,
      'invalid_client',
      7000215,
    );
    expectAadsts(await postToken(secretForm), 401, 'invalid_client', 7000218);
  });

  it('injects faults on the token endpoint', async () => {
    entra.inject({ status: 503, times: 1, match: (r) => pathOf(r.url).endsWith('/token') });
    expect((await postToken(await tokenForm())).status).toBe(503);
    expect((await postToken(await tokenForm())).status).toBe(200);
  });
});
