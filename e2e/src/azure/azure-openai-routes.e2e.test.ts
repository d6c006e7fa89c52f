import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEDERATED_AUDIENCE, startEntra, type Entra } from '../fakes/entra.ts';
import { pathOf, type RecordedRequest } from '../fakes/fake-server.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startOpenAiUpstream } from '../fakes/openai.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { createTestCa, type TestCa } from '../fakes/tls.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
/** `sub` of the fake issuer's default job (a push to main of octo-org/octo-repo). */
const SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
const DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';
const DEPLOYMENT = 'gpt-4o-mini';
const API_VERSION = '2024-10-21';
const ANSWER = 'Hello from the fake upstream.';
/** What an agent holds instead of a key: the gateway must drop it. */
const PLACEHOLDER_KEY = 'placeholder-azure-api-key';
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

/** The bearer token of a recorded request, if any. */
function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}

/** Value of one Prometheus sample whose labels include all of `labels`. */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The fakes of one Entra chain: CA, GitHub issuer, Entra over TLS, and an Azure OpenAI upstream that only takes live Entra tokens. */
interface AzureFakes {
  readonly ca: TestCa;
  readonly issuer: GithubOidcIssuer;
  readonly entra: Entra;
  readonly openai: FakeUpstream;
  /** Entra tokens the upstream treats as revoked (answers 401). */
  readonly revoked: Set<string>;
}

async function startAzureFakes(): Promise<AzureFakes> {
  const ca = await createTestCa();
  const issuer = await startGithubOidcIssuer();
  const entra = await startEntra({
    issuer,
    tls: await ca.issue(),
    federatedCredentials: [{ tenantId: TENANT_ID, clientId: CLIENT_ID, subject: SUBJECT }],
  });
  const revoked = new Set<string>();
  const openai = await startOpenAiUpstream({
    authorize: (request) => {
      const token = bearerOf(request);
      return token !== undefined && entra.accepts(token) && !revoked.has(token);
    },
  });
  return { ca, issuer, entra, openai, revoked };
}

/** What the environment of a GitHub Actions job provides besides the workflow's own settings. */
function jobEnv(fakes: AzureFakes): Record<string, string> {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: fakes.issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: fakes.issuer.requestToken,
    AZURE_AUTHORITY_HOST: fakes.entra.authorityHost,
    NODE_EXTRA_CA_CERTS: fakes.ca.certFile,
  };
}

interface Setup {
  readonly name: string;
  /** The route the federated credential serves. */
  readonly route: 'copilot' | 'openai';
  /** Extra process environment; `dir` is a private temp directory for files. */
  env(fakes: AzureFakes, dir: string): Record<string, string>;
}

const SETUPS: readonly Setup[] = [
  {
    name: 'copilot route, workflow environment (COPILOT_PROVIDER_TYPE=azure)',
    route: 'copilot',
    env: (fakes) => ({
      ...jobEnv(fakes),
      COPILOT_PROVIDER_BASE_URL: `${fakes.openai.url}/openai`,
      COPILOT_PROVIDER_TYPE: 'azure',
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_AZURE_TENANT_ID: TENANT_ID,
      AWF_AUTH_AZURE_CLIENT_ID: CLIENT_ID,
    }),
  },
  {
    name: 'openai route (OPENAI_API_TARGET, AWF_AUTH_PROVIDER=azure)',
    route: 'openai',
    env: (fakes) => ({
      ...jobEnv(fakes),
      OPENAI_API_TARGET: `${fakes.openai.url}/openai`,
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_PROVIDER: 'azure',
      AWF_AUTH_AZURE_TENANT_ID: TENANT_ID,
      AWF_AUTH_AZURE_CLIENT_ID: CLIENT_ID,
    }),
  },
  {
    name: 'copilot route, KEYLESS_CONFIG with the workflow engine: block',
    route: 'copilot',
    env: (fakes, dir) => {
      const file = join(dir, 'engine.yaml');
      writeFileSync(
        file,
        [
          'engine:',
          '  id: copilot',
          '  env:',
          `    COPILOT_PROVIDER_BASE_URL: ${fakes.openai.url}/openai`,
          '    COPILOT_PROVIDER_TYPE: azure',
          '  auth:',
          '    type: github-oidc',
          `    audience: ${DEFAULT_FEDERATED_AUDIENCE}`,
          `    azure-tenant-id: ${TENANT_ID}`,
          `    azure-client-id: ${CLIENT_ID}`,
          '',
        ].join('\n'),
      );
      // Only what the job's runner provides lives in the environment; the rest is the file.
      return { ...jobEnv(fakes), KEYLESS_CONFIG: file };
    },
  },
];

describe.each(SETUPS)(
  'Azure OpenAI through Entra federation: $name (real gateway process)',
  (setup) => {
    const { route } = setup;
    let fakes: AzureFakes;
    let gateway: GatewayProcess;
    let dir: string;
    const responses: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keyless-azure-e2e-'));
      fakes = await startAzureFakes();
      gateway = await startGatewayProcess(setup.env(fakes, dir));
    });
    afterAll(async () => {
      await gateway?.stop();
      await Promise.all([fakes?.openai.close(), fakes?.entra.close(), fakes?.issuer.close()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The official Azure client: classic deployment paths with `?api-version=`, the placeholder in `api-key`. */
    const azureClient = () =>
      new AzureOpenAI({
        baseURL: gateway.url(route),
        apiKey: PLACEHOLDER_KEY,
        apiVersion: API_VERSION,
        deployment: DEPLOYMENT,
        maxRetries: 0,
      });
    /** The plain OpenAI client against Azure's v1 shape (`/openai/v1/...`), the placeholder as a Bearer. */
    const v1Client = () =>
      new OpenAI({ baseURL: `${gateway.url(route)}/v1`, apiKey: PLACEHOLDER_KEY, maxRetries: 0 });

    const CLASSIC_PATH = `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=${API_VERSION}`;
    const V1_PATH = '/openai/v1/chat/completions';

    /** The last upstream request carried an Entra-issued token, never a GitHub token, and no api-key. */
    const expectEntraBearer = (seen: RecordedRequest) => {
      const token = bearerOf(seen);
      expect(token).toBeDefined();
      expect(fakes.entra.issued).toContain(token);
      expect(fakes.issuer.minted).not.toContain(token);
      expect(seen.headers.authorization).not.toContain(PLACEHOLDER_KEY);
      expect(seen.headers['api-key']).toBeUndefined();
    };

    it('AzureOpenAI chat completion (classic deployment path): the upstream gets the Entra token, not the api-key', async () => {
      const completion = await azureClient().chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      responses.push(JSON.stringify(completion));
      expect(completion.choices[0]!.message.content).toBe(ANSWER);
      expect(completion.model).toBe(DEPLOYMENT);

      const seen = fakes.openai.requests.at(-1)!;
      expect(seen.url).toBe(CLASSIC_PATH);
      expectEntraBearer(seen);
    });

    it('the exchange presented a fresh GitHub token for api://AzureADTokenExchange to Entra over TLS', async () => {
      // Instance discovery is off: exactly the tenant's metadata, then its token endpoint.
      expect(fakes.entra.requests.map((r) => `${r.method} ${pathOf(r.url)}`)).toEqual([
        `GET /${TENANT_ID}/v2.0/.well-known/openid-configuration`,
        `POST /${TENANT_ID}/oauth2/v2.0/token`,
      ]);
      const form = new URLSearchParams(fakes.entra.requests[1]!.body.toString('utf8'));
      expect(form.get('client_id')).toBe(CLIENT_ID);
      expect(form.get('grant_type')).toBe('client_credentials');
      expect(form.get('scope')?.split(' ')).toContain(DEFAULT_SCOPE);
      expect(form.get('client_secret')).toBeNull();
      const assertion = form.get('client_assertion')!;
      expect(fakes.issuer.minted).toContain(assertion);
      await expect(
        fakes.issuer.verify(assertion, { audience: DEFAULT_FEDERATED_AUDIENCE }),
      ).resolves.toMatchObject({
        sub: SUBJECT,
      });
    });

    it('AzureOpenAI streaming (classic path): chunks reach the client before the upstream finishes', async () => {
      fakes.openai.stream.holdAfter = 2;
      let text = '';
      try {
        const stream = await azureClient().chat.completions.create({
          model: DEPLOYMENT,
          messages: MESSAGES,
          stream: true,
        });
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.done).toBe(false);
        responses.push(JSON.stringify(first.value));
        await fakes.openai.stream.waitFor('held');
        // The upstream still holds the rest while the client already has its first chunk.
        expect(fakes.openai.stream.completed).toBe(0);
        fakes.openai.stream.release();
        for (let chunk = await iterator.next(); !chunk.done; chunk = await iterator.next()) {
          responses.push(JSON.stringify(chunk.value));
          text += chunk.value.choices[0]?.delta.content ?? '';
        }
      } finally {
        fakes.openai.stream.holdAfter = undefined;
        fakes.openai.stream.release();
      }
      expect(text).toBe(ANSWER);
      const seen = fakes.openai.requests.at(-1)!;
      expect(seen.url).toBe(CLASSIC_PATH);
      expectEntraBearer(seen);
    });

    it('OpenAI client on the v1 shape: chat completion and streaming', async () => {
      const client = v1Client();
      const completion = await client.chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      responses.push(JSON.stringify(completion));
      expect(completion.choices[0]!.message.content).toBe(ANSWER);
      expect(fakes.openai.requests.at(-1)!.url).toBe(V1_PATH);
      expectEntraBearer(fakes.openai.requests.at(-1)!);

      const stream = await client.chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        responses.push(JSON.stringify(chunk));
        text += chunk.choices[0]?.delta.content ?? '';
        chunks += 1;
      }
      expect(text).toBe(ANSWER);
      expect(chunks).toBeGreaterThan(2);
      const seen = fakes.openai.requests.at(-1)!;
      expect(seen.url).toBe(V1_PATH);
      expect(seen.headers['content-type']).toMatch(/^application\/json/);
      expectEntraBearer(seen);
    });

    it('one exchange served every request so far', () => {
      expect(fakes.entra.issued).toHaveLength(1);
      expect(fakes.issuer.minted).toHaveLength(1);
      for (const request of fakes.openai.requests)
        expect(bearerOf(request)).toBe(fakes.entra.issued[0]);
    });

    it('an upstream 401 (revoked token) renews once and replays once: the client sees 200', async () => {
      const rejected = fakes.entra.issued.at(-1)!;
      fakes.revoked.add(rejected);
      const issuedBefore = fakes.entra.issued.length;
      const upstreamBefore = fakes.openai.requests.length;

      const completion = await azureClient().chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      responses.push(JSON.stringify(completion));
      expect(completion.choices[0]!.message.content).toBe(ANSWER);

      const seen = fakes.openai.requests.slice(upstreamBefore);
      expect(seen.map(bearerOf)).toEqual([rejected, fakes.entra.issued.at(-1)]);
      expect(seen[1]!.url).toBe(CLASSIC_PATH);
      expect(seen[1]!.headers['api-key']).toBeUndefined();
      expect(fakes.entra.issued).toHaveLength(issuedBefore + 1);

      await expect
        .poll(() =>
          gateway.logs().filter((line) => line.event === 'request' && line.replayed === true),
        )
        .toHaveLength(1);
      const line = gateway.logs().find((l) => l.event === 'request' && l.replayed === true)!;
      expect(line).toMatchObject({ route, status: 200, upstreamStatus: 200 });
      expect(gateway.logs().filter((l) => l.event === 'credential.invalidated')).toHaveLength(1);
      const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
      expect(metric(metrics, 'keyless_replays_total', { route, provider: 'azure' })).toBe(1);
    });

    it('readiness and health report the azure credential on the route', async () => {
      const res = await fetch(`${gateway.managementUrl}/readyz`);
      const text = await res.text();
      responses.push(text);
      expect(res.status).toBe(200);
      const body = JSON.parse(text) as { routes: Array<Record<string, unknown>> };
      expect(body.routes).toContainEqual(
        expect.objectContaining({ route, provider: 'azure', auth: 'github-oidc', ready: true }),
      );
      const health = await fetch(`${gateway.url(route)}/health`);
      expect(await health.json()).toMatchObject({ status: 'healthy', provider: 'azure' });
    });

    it('canary: no request token, GitHub token or Entra token in any output, response or upstream request', async () => {
      expect(await gateway.stop()).toBe(0);
      const secrets = [fakes.issuer.requestToken, ...fakes.issuer.minted, ...fakes.entra.issued];
      expect(fakes.issuer.minted.length).toBeGreaterThanOrEqual(2);
      expect(fakes.entra.issued.length).toBeGreaterThanOrEqual(2);
      expect(
        findLeaks({ output: gateway.output(), responses: responses.join('\n') }, secrets),
      ).toEqual([]);
      // The GitHub token and the request token go to the issuer and Entra only, never to the model upstream.
      const upstream = fakes.openai.requests
        .map((r) => JSON.stringify(r.headers) + r.body.toString('utf8'))
        .join('\n');
      expect(
        findLeaks({ upstream }, [
          fakes.issuer.requestToken,
          ...fakes.issuer.minted,
          PLACEHOLDER_KEY,
        ]),
      ).toEqual([]);
    });
  },
);
