import { DEFAULT_FEDERATED_AUDIENCE, bearerOf, pathOf } from '@keyless/fakes';
import type { RecordedRequest } from '@keyless/fakes';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import {
  ANSWER,
  API_VERSION,
  CLIENT_ID,
  DEPLOYMENT,
  MESSAGES,
  PLACEHOLDER_KEY,
  SUBJECT,
  TENANT_ID,
  TOKEN_PATH,
  startAzureRig,
  type AzureRig,
} from './azure-rig.ts';

const DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';

interface Setup {
  readonly name: string;
  /** The route the federated credential serves. */
  readonly route: 'copilot' | 'openai';
  /** The whole process environment; `dir` is a private temp directory for files. */
  env(rig: AzureRig, dir: string): Record<string, string>;
}

const SETUPS: readonly Setup[] = [
  {
    name: 'copilot route, workflow environment (COPILOT_PROVIDER_TYPE=azure)',
    route: 'copilot',
    env: (rig) => rig.workflowEnv(),
  },
  {
    name: 'openai route (OPENAI_API_TARGET, AWF_AUTH_PROVIDER=azure)',
    route: 'openai',
    env: (rig) => ({
      ...rig.jobEnv(),
      OPENAI_API_TARGET: `${rig.openai.url}/openai`,
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_PROVIDER: 'azure',
      AWF_AUTH_AZURE_TENANT_ID: TENANT_ID,
      AWF_AUTH_AZURE_CLIENT_ID: CLIENT_ID,
    }),
  },
  {
    name: 'copilot route, KEYLESS_CONFIG with the workflow engine: block',
    route: 'copilot',
    env: (rig, dir) => {
      const file = join(dir, 'engine.yaml');
      writeFileSync(
        file,
        [
          'engine:',
          '  id: copilot',
          '  env:',
          `    COPILOT_PROVIDER_BASE_URL: ${rig.openai.url}/openai`,
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
      return { ...rig.jobEnv(), KEYLESS_CONFIG: file };
    },
  },
];

describe.each(SETUPS)(
  'Azure OpenAI through Entra federation: $name (real gateway process)',
  (setup) => {
    const { route } = setup;
    let rig: AzureRig;
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keyless-azure-e2e-'));
      rig = await startAzureRig();
      await rig.startGateway(setup.env(rig, dir));
    });
    afterAll(async () => {
      await rig?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The plain OpenAI client against Azure's v1 shape (`/openai/v1/...`), the placeholder as a Bearer. */
    const v1Client = () =>
      new OpenAI({
        baseURL: `${rig.gateway.url(route)}/v1`,
        apiKey: PLACEHOLDER_KEY,
        maxRetries: 0,
      });

    const CLASSIC_PATH = `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=${API_VERSION}`;
    const V1_PATH = '/openai/v1/chat/completions';

    /** The last upstream request carried an Entra-issued token, never a GitHub token, and no api-key. */
    const expectEntraBearer = (seen: RecordedRequest) => {
      const token = bearerOf(seen);
      expect(token).toBeDefined();
      expect(rig.entra.issued).toContain(token);
      expect(rig.issuer.minted).not.toContain(token);
      expect(seen.headers.authorization).not.toContain(PLACEHOLDER_KEY);
      expect(seen.headers['api-key']).toBeUndefined();
    };

    it('AzureOpenAI chat completion (classic deployment path): the upstream gets the Entra token, not the api-key', async () => {
      const completion = await rig.azureClient(route).chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      rig.record(completion);
      expect(completion.choices[0]!.message.content).toBe(ANSWER);
      expect(completion.model).toBe(DEPLOYMENT);

      const seen = rig.openai.requests.at(-1)!;
      expect(seen.url).toBe(CLASSIC_PATH);
      expectEntraBearer(seen);
    });

    it('the exchange presented a fresh GitHub token for api://AzureADTokenExchange to Entra over TLS', async () => {
      // Instance discovery is off: exactly the tenant's metadata, then its token endpoint.
      expect(rig.entra.requests.map((r) => `${r.method} ${pathOf(r.url)}`)).toEqual([
        `GET /${TENANT_ID}/v2.0/.well-known/openid-configuration`,
        `POST ${TOKEN_PATH}`,
      ]);
      const form = new URLSearchParams(rig.entra.requests[1]!.body.toString('utf8'));
      expect(form.get('client_id')).toBe(CLIENT_ID);
      expect(form.get('grant_type')).toBe('client_credentials');
      expect(form.get('scope')?.split(' ')).toContain(DEFAULT_SCOPE);
      expect(form.get('client_secret')).toBeNull();
      const assertion = form.get('client_assertion')!;
      expect(rig.issuer.minted).toContain(assertion);
      await expect(
        rig.issuer.verify(assertion, { audience: DEFAULT_FEDERATED_AUDIENCE }),
      ).resolves.toMatchObject({
        sub: SUBJECT,
      });
    });

    it('AzureOpenAI streaming (classic path): chunks reach the client before the upstream finishes', async () => {
      rig.openai.stream.holdAfter = 2;
      let text = '';
      try {
        const stream = await rig.azureClient(route).chat.completions.create({
          model: DEPLOYMENT,
          messages: MESSAGES,
          stream: true,
        });
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.done).toBe(false);
        rig.record(first.value);
        await rig.openai.stream.waitFor('held');
        // The upstream still holds the rest while the client already has its first chunk.
        expect(rig.openai.stream.completed).toBe(0);
        rig.openai.stream.release();
        for (let chunk = await iterator.next(); !chunk.done; chunk = await iterator.next()) {
          rig.record(chunk.value);
          text += chunk.value.choices[0]?.delta.content ?? '';
        }
      } finally {
        rig.openai.stream.holdAfter = undefined;
        rig.openai.stream.release();
      }
      expect(text).toBe(ANSWER);
      const seen = rig.openai.requests.at(-1)!;
      expect(seen.url).toBe(CLASSIC_PATH);
      expectEntraBearer(seen);
    });

    it('OpenAI client on the v1 shape: chat completion and streaming', async () => {
      const client = v1Client();
      const completion = await client.chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      rig.record(completion);
      expect(completion.choices[0]!.message.content).toBe(ANSWER);
      expect(rig.openai.requests.at(-1)!.url).toBe(V1_PATH);
      expectEntraBearer(rig.openai.requests.at(-1)!);

      const stream = await client.chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        rig.record(chunk);
        text += chunk.choices[0]?.delta.content ?? '';
        chunks += 1;
      }
      expect(text).toBe(ANSWER);
      expect(chunks).toBeGreaterThan(2);
      const seen = rig.openai.requests.at(-1)!;
      expect(seen.url).toBe(V1_PATH);
      expect(seen.headers['content-type']).toMatch(/^application\/json/);
      expectEntraBearer(seen);
    });

    it('one exchange served every request so far', () => {
      expect(rig.entra.issued).toHaveLength(1);
      expect(rig.issuer.minted).toHaveLength(1);
      for (const request of rig.openai.requests)
        expect(bearerOf(request)).toBe(rig.entra.issued[0]);
    });

    it('an upstream 401 (revoked token) renews once and replays once: the client sees 200', async () => {
      const rejected = rig.entra.issued.at(-1)!;
      rig.revoked.add(rejected);
      const issuedBefore = rig.entra.issued.length;
      const upstreamBefore = rig.openai.requests.length;

      const completion = await rig.azureClient(route).chat.completions.create({
        model: DEPLOYMENT,
        messages: MESSAGES,
      });
      rig.record(completion);
      expect(completion.choices[0]!.message.content).toBe(ANSWER);

      const seen = rig.openai.requests.slice(upstreamBefore);
      expect(seen.map(bearerOf)).toEqual([rejected, rig.entra.issued.at(-1)]);
      expect(seen[1]!.url).toBe(CLASSIC_PATH);
      expect(seen[1]!.headers['api-key']).toBeUndefined();
      expect(rig.entra.issued).toHaveLength(issuedBefore + 1);

      await expect.poll(() => rig.events('request', { replayed: true })).toHaveLength(1);
      expect(rig.events('request', { replayed: true })[0]).toMatchObject({
        route,
        status: 200,
        upstreamStatus: 200,
      });
      expect(rig.events('credential.invalidated')).toHaveLength(1);
      expect(await rig.metric('keyless_replays_total', { route, provider: 'azure' })).toBe(1);
    });

    it('readiness and health report the azure credential on the route', async () => {
      const ready = await rig.readiness(route);
      expect(ready.status).toBe(200);
      expect(ready.entry).toMatchObject({
        route,
        provider: 'azure',
        auth: 'github-oidc',
        ready: true,
      });
      const health = await rig.health(route);
      expect(JSON.parse(health.text)).toMatchObject({ status: 'healthy', provider: 'azure' });
    });

    it('canary: no request token, GitHub token or Entra token in any output, response or upstream request', async () => {
      expect(await rig.gateway.stop()).toBe(0);
      expect(rig.issuer.minted.length).toBeGreaterThanOrEqual(2);
      expect(rig.entra.issued.length).toBeGreaterThanOrEqual(2);
      expect(rig.leaks()).toEqual([]);
      // The GitHub token and the request token go to the issuer and Entra only, never to the model upstream.
      const upstream = rig.openai.requests
        .map((r) => JSON.stringify(r.headers) + r.body.toString('utf8'))
        .join('\n');
      expect(
        findLeaks({ upstream }, [rig.issuer.requestToken, ...rig.issuer.minted, PLACEHOLDER_KEY]),
      ).toEqual([]);
    });
  },
);
