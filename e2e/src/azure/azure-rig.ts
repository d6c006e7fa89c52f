import { AzureOpenAI } from 'openai';
import {
  bearerOf,
  createTestCa,
  startEntra,
  startGithubOidcIssuer,
  startOpenAiUpstream,
} from '@keyless/fakes';
import type {
  Entra,
  FakeUpstream,
  FederatedCredential,
  GithubOidcIssuer,
  TestCa,
} from '@keyless/fakes';
import { metricSample } from '../harness/metrics.ts';
import { responseRecorder, type ReadResponse } from '../harness/responses.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';

/** Directory (tenant) id of the app the workflow signs in as. */
export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
/** Application (client) id of that app. */
export const CLIENT_ID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
/** `sub` of the fake issuer's default job (a push to main of octo-org/octo-repo). */
export const SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
/** Path of the tenant's v2.0 token endpoint on the fake Entra. */
export const TOKEN_PATH = `/${TENANT_ID}/oauth2/v2.0/token`;
/** Azure OpenAI deployment the clients call. */
export const DEPLOYMENT = 'gpt-4o-mini';
/** `api-version` the AzureOpenAI client sends. */
export const API_VERSION = '2024-10-21';
/** The fake upstream's whole answer, streamed or not. */
export const ANSWER = 'Hello from the fake upstream.';
/** What an agent holds instead of a key: the gateway must drop it. */
export const PLACEHOLDER_KEY = 'placeholder-azure-api-key';
/** The one-message conversation every chat sends. */
export const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

/**
 * The Entra chain's end-to-end setup: a test CA, the GitHub OIDC issuer, Entra
 * over TLS, an Azure OpenAI upstream that takes only live, unrevoked Entra
 * tokens, and (once started) the real gateway process.
 */
export interface AzureRig {
  readonly ca: TestCa;
  readonly issuer: GithubOidcIssuer;
  readonly entra: Entra;
  readonly openai: FakeUpstream;
  /** The live list Entra matches assertions against (tests may change it). */
  readonly federatedCredentials: FederatedCredential[];
  /** Entra tokens the upstream treats as revoked (answers 401). */
  readonly revoked: Set<string>;
  /** Every response body read through the rig or recorded, for the canary scan. */
  readonly responses: string[];
  /** The gateway; throws before `startGateway`. */
  readonly gateway: GatewayProcess;
  /** What a GitHub Actions runner provides besides the workflow's own settings, pointed at the fakes. */
  jobEnv(): Record<string, string>;
  /** Exactly what a workflow sets for Copilot BYOK on Azure OpenAI with GitHub OIDC, plus `jobEnv()`. */
  workflowEnv(): Record<string, string>;
  /** Starts the real gateway with exactly `env` (default `workflowEnv()`). */
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  /** Keeps a body seen by a test (strings as-is, anything else as JSON) for the canary scan. */
  record(body: unknown): void;
  /** The official Azure client: classic deployment paths with `?api-version=`, the placeholder in `api-key`. */
  azureClient(route: string): AzureOpenAI;
  /** A classic-path chat completion as the AzureOpenAI client sends it, read raw. */
  chat(route: string, stream?: boolean): Promise<ReadResponse>;
  /** GET `/health` of a route, read raw. */
  health(route: string): Promise<ReadResponse>;
  /** GET `/readyz`: its status and the entry of `route` (undefined when absent). */
  readiness(route: string): Promise<{ status: number; entry?: Record<string, unknown> }>;
  /** Value of the `/metrics` sample of `name` whose labels include `labels` (undefined when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number | undefined>;
  /** Log lines of this `event` whose fields equal `fields`, read so far (poll: lines arrive after the responses they describe). */
  events(event: string, fields?: Record<string, unknown>): Array<Record<string, unknown>>;
  /** Every secret so far: the request token, each minted GitHub token, each Entra token issued. */
  secrets(): string[];
  /** Secrets found in the gateway output or in any response body read or recorded. */
  leaks(): string[];
  /** Stops the gateway (if started) and the fakes. */
  close(): Promise<void>;
}

/**
 * Starts the fakes of an AzureRig; the gateway starts later, so that the test
 * chooses its environment. Entra trusts `subject` (default SUBJECT) on the app
 * and grants `expiresIn` seconds (default Entra's usual lifetime).
 */
export async function startAzureRig(
  options: { subject?: string; expiresIn?: number } = {},
): Promise<AzureRig> {
  const ca = await createTestCa();
  const issuer = await startGithubOidcIssuer();
  const federatedCredentials: FederatedCredential[] = [
    { tenantId: TENANT_ID, clientId: CLIENT_ID, subject: options.subject ?? SUBJECT },
  ];
  const entra = await startEntra({
    issuer,
    tls: await ca.issue(),
    federatedCredentials,
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  const revoked = new Set<string>();
  const openai = await startOpenAiUpstream({
    authorize: (request) => {
      const token = bearerOf(request);
      return token !== undefined && entra.accepts(token) && !revoked.has(token);
    },
  });
  const responses: string[] = [];
  let gateway: GatewayProcess | undefined;

  const started = (): GatewayProcess => {
    if (!gateway) throw new Error('the gateway has not been started');
    return gateway;
  };
  const read = responseRecorder(responses);
  const jobEnv = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    NODE_EXTRA_CA_CERTS: ca.certFile,
  });
  const workflowEnv = () => ({
    ...jobEnv(),
    COPILOT_PROVIDER_BASE_URL: `${openai.url}/openai`,
    COPILOT_PROVIDER_TYPE: 'azure',
    AWF_AUTH_TYPE: 'github-oidc',
    AWF_AUTH_AZURE_TENANT_ID: TENANT_ID,
    AWF_AUTH_AZURE_CLIENT_ID: CLIENT_ID,
  });
  const secrets = () => [issuer.requestToken, ...issuer.minted, ...entra.issued];

  return {
    ca,
    issuer,
    entra,
    openai,
    federatedCredentials,
    revoked,
    responses,
    get gateway() {
      return started();
    },
    jobEnv,
    workflowEnv,
    async startGateway(env = workflowEnv()) {
      gateway = await startGatewayProcess(env);
      return gateway;
    },
    record(body) {
      responses.push(typeof body === 'string' ? body : JSON.stringify(body));
    },
    azureClient: (route) =>
      new AzureOpenAI({
        baseURL: started().url(route),
        apiKey: PLACEHOLDER_KEY,
        apiVersion: API_VERSION,
        deployment: DEPLOYMENT,
        maxRetries: 0,
      }),
    async chat(route, stream = false) {
      const path = `/deployments/${DEPLOYMENT}/chat/completions?api-version=${API_VERSION}`;
      return read(
        await fetch(`${started().url(route)}${path}`, {
          method: 'POST',
          headers: { 'api-key': PLACEHOLDER_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ messages: MESSAGES, stream }),
        }),
      );
    },
    async health(route) {
      return read(await fetch(`${started().url(route)}/health`));
    },
    async readiness(route) {
      const response = await read(await fetch(`${started().managementUrl}/readyz`));
      const body = JSON.parse(response.text) as { routes: Array<Record<string, unknown>> };
      const entry = body.routes.find((candidate) => candidate.route === route);
      return { status: response.status, ...(entry === undefined ? {} : { entry }) };
    },
    async metric(name, labels) {
      const { text } = await read(await fetch(`${started().managementUrl}/metrics`));
      return metricSample(text, name, labels);
    },
    events: (event, fields = {}) =>
      started()
        .logs()
        .filter(
          (line) =>
            line.event === event &&
            Object.entries(fields).every(([key, value]) => line[key] === value),
        ),
    secrets,
    leaks: () =>
      findLeaks({ output: gateway?.output() ?? '', responses: responses.join('\n') }, secrets()),
    async close() {
      await gateway?.stop();
      await Promise.all([openai.close(), entra.close(), issuer.close()]);
    },
  };
}
