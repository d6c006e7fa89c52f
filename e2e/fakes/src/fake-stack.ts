import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startAnthropicUpstream } from './anthropic.ts';
import { startAnthropicTokenService } from './anthropic-token-service.ts';
import type { AnthropicTokenService } from './anthropic-token-service.ts';
import { startAwsSts } from './aws-sts.ts';
import type { AwsStsFake } from './aws-sts.ts';
import { startBedrockRuntime } from './bedrock.ts';
import type { BedrockRuntimeFake } from './bedrock.ts';
import { entraErrorBody, startEntra } from './entra.ts';
import type { Entra } from './entra.ts';
import { bearerOf, pathOf } from './fake-server.ts';
import type { FakeServer } from './fake-server.ts';
import type { FakeFault } from './fake-faults.ts';
import { startForwardProxy } from './forward-proxy.ts';
import type { ForwardProxy } from './forward-proxy.ts';
import { startGcpSts } from './gcp-sts.ts';
import type { GcpSts } from './gcp-sts.ts';
import {
  DEFAULT_GITHUB_CLAIMS,
  githubSubject,
  startGithubOidcIssuer,
} from './github-oidc-issuer.ts';
import type { GithubOidcIssuer } from './github-oidc-issuer.ts';
import { startGoogleUpstream } from './google.ts';
import { startOpenAiUpstream } from './openai.ts';
import type { FakeUpstream } from './sse.ts';
import { createTestCa } from './tls.ts';
import type { TestCa } from './tls.ts';

/** The identities the stack's clouds know, as a workflow would configure them. */
export const STACK_IDENTITY = Object.freeze({
  azureTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  azureClientId: '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f',
  gcpWorkloadIdentityProvider:
    'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions',
  gcpServiceAccount: 'keyless-agent@octo-project.iam.gserviceaccount.com',
  awsRoleArn: 'arn:aws:iam::123456789012:role/keyless-bedrock',
  awsRegion: 'us-east-1',
  anthropicFederationRuleId: 'fdrl_01keylessdemo',
  anthropicOrganizationId: '00000000-0000-4000-8000-00000000a17c',
  anthropicServiceAccountId: 'svac_01keylessdemo',
});

/** Route names of the stack's gateway config, in port order. */
export const STACK_ROUTES = [
  'openai',
  'anthropic',
  'azure-openai',
  'gemini',
  'vertex',
  'bedrock',
  'anthropic-federated',
] as const;
/** Name of one route of the stack's gateway config. */
export type StackRouteName = (typeof STACK_ROUTES)[number];

/** First route port when none are given (the api-proxy's 10000; one port per route after it). */
export const DEFAULT_STACK_BASE_PORT = 10_000;

/** One route of the gateway config the stack suggests. */
export interface StackRoute {
  readonly name: StackRouteName;
  readonly port: number;
  /** Base URL of the fake upstream. */
  readonly upstream: string;
  /** Keyless wire flavor. */
  readonly flavor: 'openai' | 'azure' | 'anthropic' | 'google' | 'bedrock';
  /** The route's `auth:` block (engine.auth keys, or `type: static` with `key-env`). */
  readonly auth: Readonly<Record<string, string>>;
}

export interface FakeStackOptions {
  /** Ways to fail (see FAKE_FAULTS); default none. */
  readonly faults?: readonly FakeFault[];
  /** GitHub token claims merged over DEFAULT_GITHUB_CLAIMS (e.g. `{environment: 'prod'}`). */
  readonly claims?: Record<string, unknown>;
  /** GitHub token lifetime, s (default 300, as GitHub). */
  readonly idTokenLifetimeSeconds?: number;
  /** Lifetime of every cloud credential issued (Entra, GCP, AWS), s; default each cloud's own. */
  readonly credentialLifetimeSeconds?: number;
}

/** Requests served and credentials issued by each fake. */
export interface StackCounters {
  readonly [fake: string]: { readonly requests: number; readonly issued?: number };
}

/**
 * Every fake a Keyless gateway talks to, wired together: the GitHub OIDC
 * issuer, Entra (TLS), GCP STS + IAM Credentials, AWS STS, Anthropic's
 * federation token endpoint, and the model upstreams, each accepting only the
 * credentials its cloud issued.
 */
export interface FakeStack {
  readonly ca: TestCa;
  readonly issuer: GithubOidcIssuer;
  readonly entra: Entra;
  readonly gcpSts: GcpSts;
  readonly awsSts: AwsStsFake;
  readonly openai: FakeUpstream;
  readonly anthropic: FakeUpstream;
  readonly gemini: FakeUpstream;
  readonly azureOpenai: FakeUpstream;
  readonly vertex: FakeUpstream;
  readonly bedrock: BedrockRuntimeFake;
  /** Anthropic's workload identity federation token endpoint. */
  readonly anthropicTokens: AnthropicTokenService;
  /** The Anthropic upstream of the federated route: only tokens from anthropicTokens. */
  readonly anthropicFederated: FakeUpstream;
  /** The refusing egress proxy of the `proxy-refuses` fault. */
  readonly proxy: ForwardProxy | undefined;
  readonly faults: readonly FakeFault[];
  /** Base URL of every fake by name. */
  urls(): Readonly<Record<string, string>>;
  /**
   * What the runner and the workflow would set besides the route config: the
   * Actions token variables, the endpoint overrides, the CA and the static keys.
   */
  env(): Readonly<Record<string, string>>;
  /** The gateway routes, one per provider; ports start at `basePort` unless given per route. */
  routes(ports?: Partial<Record<StackRouteName, number>>, basePort?: number): readonly StackRoute[];
  /** The routes as a Keyless config file (`routes:` list, YAML). */
  configYaml(ports?: Partial<Record<StackRouteName, number>>, basePort?: number): string;
  /** Requests and issued credentials per fake. */
  counters(): StackCounters;
  /** Every secret so far (keys, request token, every token issued), for canary scans. */
  secrets(): string[];
  close(): Promise<void>;
}

const RANDOM_KEY = () => crypto.randomUUID().replaceAll('-', '');

/** Starts every fake of the stack on 127.0.0.1 (ephemeral ports), failing as `faults` say. */
export async function startFakeStack(options: FakeStackOptions = {}): Promise<FakeStack> {
  const faults = [...new Set(options.faults ?? [])];
  const has = (fault: FakeFault) => faults.includes(fault);
  const id = STACK_IDENTITY;
  const lifetime = options.credentialLifetimeSeconds;
  const keys = {
    openai: `sk-fake-openai-${RANDOM_KEY()}`,
    anthropic: `sk-ant-fake-${RANDOM_KEY()}`,
    gemini: `fake-gemini-${RANDOM_KEY()}`,
  };
  const claims = { ...DEFAULT_GITHUB_CLAIMS, ...options.claims };
  // Where federation is registered on the cloud side: this job, unless a fault says otherwise.
  const subject = typeof claims.sub === 'string' ? claims.sub : githubSubject(claims);
  const otherSubject = `repo:${String(claims.repository)}:environment:production`;

  const servers: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(server: T): T => {
    servers.push(server);
    return server;
  };
  // The CA first: nothing to stop if it fails; its directory is removed on close.
  const ca = await createTestCa();
  try {
    const issuer = track(
      await startGithubOidcIssuer({
        ...(options.claims ? { claims: options.claims } : {}),
        ...(options.idTokenLifetimeSeconds === undefined
          ? {}
          : { lifetimeSeconds: options.idTokenLifetimeSeconds }),
      }),
    );
    const entra = track(
      await startEntra({
        issuer,
        tls: await ca.issue(),
        federatedCredentials: [
          {
            tenantId: has('aadsts90002')
              ? '00000000-0000-4000-8000-000000000000'
              : id.azureTenantId,
            clientId: has('aadsts700016')
              ? '11111111-1111-4111-8111-111111111111'
              : id.azureClientId,
            subject: has('aadsts70021') || has('aadsts700213') ? otherSubject : subject,
          },
        ],
        legacyMismatchError: has('aadsts70021'),
        ...(lifetime === undefined ? {} : { expiresIn: lifetime }),
      }),
    );
    if (has('aadsts700024')) {
      // Entra's own check needs a skewed clock; its answer is what matters here.
      entra.inject({
        match: (request) => pathOf(request.url).endsWith('/oauth2/v2.0/token'),
        status: 401,
        body: JSON.stringify(
          entraErrorBody(
            'invalid_client',
            700024,
            'Client assertion is not within its valid time range. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .',
          ),
        ),
      });
    }
    const gcpSts = track(
      await startGcpSts({
        issuer,
        audience: id.gcpWorkloadIdentityProvider,
        serviceAccounts: has('gcp-impersonation-denied') ? [] : [id.gcpServiceAccount],
        ...(has('gcp-audience')
          ? {
              allowedAudiences: [
                'https://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/other',
              ],
            }
          : {}),
        ...(has('gcp-attribute-condition')
          ? { attributeCondition: (c) => c.repository === 'octo-org/another-repo' }
          : {}),
        ...(lifetime === undefined ? {} : { expiresIn: lifetime, impersonationLifetime: lifetime }),
      }),
    );
    const awsSts = track(
      await startAwsSts({
        jwksUrl: issuer.jwksUrl,
        // A real account knows GitHub's issuer, not this fake's: the fault's missing OIDC provider.
        issuer: has('aws-invalid-identity-token')
          ? 'https://token.actions.githubusercontent.com'
          : issuer.issuer,
        roles: [
          {
            arn: id.awsRoleArn,
            subject: has('aws-access-denied')
              ? 'repo:octo-org/another-repo:*'
              : `repo:${String(claims.repository)}:*`,
          },
        ],
        ...(lifetime === undefined ? {} : { durationSeconds: lifetime }),
      }),
    );
    const anthropicTokens = track(
      await startAnthropicTokenService({
        issuer,
        rules: [
          {
            id: id.anthropicFederationRuleId,
            organizationId: id.anthropicOrganizationId,
            serviceAccountId: id.anthropicServiceAccountId,
            ...(has('anthropic-rule-mismatch')
              ? { condition: (c) => c.repository === 'octo-org/another-repo' }
              : {}),
          },
        ],
        ...(lifetime === undefined ? {} : { expiresIn: lifetime }),
      }),
    );
    const openai = track(
      await startOpenAiUpstream({ authorize: (r) => bearerOf(r) === keys.openai }),
    );
    const anthropic = track(
      await startAnthropicUpstream({ authorize: (r) => r.headers['x-api-key'] === keys.anthropic }),
    );
    const gemini = track(
      await startGoogleUpstream({ authorize: (r) => r.headers['x-goog-api-key'] === keys.gemini }),
    );
    const azureOpenai = track(
      await startOpenAiUpstream({
        authorize: (r) => {
          const token = bearerOf(r);
          return token !== undefined && entra.accepts(token);
        },
      }),
    );
    const vertex = track(
      await startGoogleUpstream({
        authorize: (r) => {
          const token = bearerOf(r);
          return token !== undefined && gcpSts.accepts(token);
        },
      }),
    );
    const bedrock = track(
      await startBedrockRuntime({ credentials: (key) => awsSts.lookup(key), region: id.awsRegion }),
    );
    const anthropicFederated = track(
      await startAnthropicUpstream({ authorize: (r) => anthropicTokens.authorizes(r) }),
    );
    const proxy = has('proxy-refuses')
      ? track(await startForwardProxy({ refuse: true }))
      : undefined;
    const closedUrl = has('unreachable') ? `http://127.0.0.1:${await closedPort()}` : undefined;

    const fakes: Record<string, FakeServer> = {
      'github-oidc': issuer,
      entra,
      'gcp-sts': gcpSts,
      'aws-sts': awsSts,
      'anthropic-token': anthropicTokens,
      openai,
      anthropic,
      gemini,
      'azure-openai': azureOpenai,
      vertex,
      bedrock,
      'anthropic-federated': anthropicFederated,
    };
    const upstreams: Record<StackRouteName, string> = {
      openai: openai.url,
      anthropic: anthropic.url,
      'azure-openai': `${azureOpenai.url}/openai`,
      gemini: gemini.url,
      vertex: vertex.url,
      bedrock: bedrock.url,
      'anthropic-federated': anthropicFederated.url,
    };
    const federated = { type: 'github-oidc' };
    const auths: Record<StackRouteName, Record<string, string>> = {
      openai: { type: 'static', 'key-env': 'OPENAI_API_KEY' },
      anthropic: { type: 'static', 'key-env': 'ANTHROPIC_API_KEY' },
      gemini: { type: 'static', 'key-env': 'GEMINI_API_KEY' },
      'azure-openai': {
        ...federated,
        provider: 'azure',
        'azure-tenant-id': id.azureTenantId,
        'azure-client-id': id.azureClientId,
        ...(has('azure-scope-as-audience')
          ? { audience: 'https://cognitiveservices.azure.com' }
          : {}),
      },
      vertex: {
        ...federated,
        provider: 'gcp',
        'workload-identity-provider': id.gcpWorkloadIdentityProvider,
        'service-account': id.gcpServiceAccount,
      },
      bedrock: {
        ...federated,
        provider: 'aws',
        'aws-role-arn': id.awsRoleArn,
        'aws-region': id.awsRegion,
      },
      'anthropic-federated': {
        ...federated,
        provider: 'anthropic',
        'federation-rule-id': id.anthropicFederationRuleId,
        'organization-id': id.anthropicOrganizationId,
        'service-account-id': id.anthropicServiceAccountId,
      },
    };
    const flavors: Record<StackRouteName, StackRoute['flavor']> = {
      openai: 'openai',
      anthropic: 'anthropic',
      'azure-openai': 'azure',
      gemini: 'google',
      vertex: 'google',
      bedrock: 'bedrock',
      'anthropic-federated': 'anthropic',
    };
    const routes = (
      ports: Partial<Record<StackRouteName, number>> = {},
      basePort = DEFAULT_STACK_BASE_PORT,
    ): StackRoute[] =>
      STACK_ROUTES.map((name, index) => ({
        name,
        port: ports[name] ?? basePort + index,
        upstream: upstreams[name],
        flavor: flavors[name],
        auth: auths[name],
      }));

    return {
      ca,
      issuer,
      entra,
      gcpSts,
      awsSts,
      openai,
      anthropic,
      gemini,
      azureOpenai,
      vertex,
      bedrock,
      anthropicTokens,
      anthropicFederated,
      proxy,
      faults,
      urls: () => ({
        ...Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, fake.url])),
        ...(proxy ? { proxy: proxy.url } : {}),
      }),
      env: () => ({
        ...(has('id-token-missing')
          ? {}
          : {
              ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
              ACTIONS_ID_TOKEN_REQUEST_TOKEN: has('request-token-rejected')
                ? `not-${issuer.requestToken}`
                : issuer.requestToken,
            }),
        ...(has('tls-untrusted') ? {} : { NODE_EXTRA_CA_CERTS: ca.certFile }),
        AZURE_AUTHORITY_HOST: entra.authorityHost,
        AWF_AUTH_GCP_TOKEN_URL: closedUrl ? `${closedUrl}/v1/token` : gcpSts.tokenUrl,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: gcpSts.iamCredentialsUrl,
        AWS_ENDPOINT_URL_STS: awsSts.url,
        AWF_AUTH_ANTHROPIC_TOKEN_URL: anthropicTokens.tokenUrl,
        OPENAI_API_KEY: keys.openai,
        ANTHROPIC_API_KEY: keys.anthropic,
        GEMINI_API_KEY: keys.gemini,
        ...(proxy ? { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url } : {}),
      }),
      routes,
      configYaml: (ports, basePort) => routesYaml(routes(ports, basePort)),
      counters: () => ({
        ...Object.fromEntries(
          Object.entries(fakes).map(([name, fake]) => [name, { requests: fake.requests.length }]),
        ),
        'github-oidc': { requests: issuer.requests.length, issued: issuer.minted.length },
        entra: { requests: entra.requests.length, issued: entra.issued.length },
        'gcp-sts': { requests: gcpSts.requests.length, issued: gcpSts.issued.length },
        'aws-sts': { requests: awsSts.requests.length, issued: awsSts.issued.length },
        'anthropic-token': {
          requests: anthropicTokens.requests.length,
          issued: anthropicTokens.issued.length,
        },
      }),
      secrets: () => [
        ...Object.values(keys),
        issuer.requestToken,
        ...issuer.minted,
        ...entra.issued,
        ...gcpSts.issued,
        ...awsSts.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken]),
        ...anthropicTokens.issued.map((entry) => entry.token),
      ],
      close: async () => {
        try {
          await Promise.all(servers.map((server) => server.close()));
        } finally {
          ca.close();
        }
      },
    };
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.close()));
    ca.close();
    throw error;
  }
}

/** A `routes:` config file; values are JSON strings, which YAML reads as double-quoted scalars. */
export function routesYaml(routes: readonly StackRoute[]): string {
  const lines = ['# Keyless routes for the fake stack (keyless fakes).', 'routes:'];
  for (const route of routes) {
    lines.push(
      `  - name: ${route.name}`,
      `    port: ${route.port}`,
      `    upstream: ${JSON.stringify(route.upstream)}`,
      `    flavor: ${route.flavor}`,
      '    auth:',
      ...Object.entries(route.auth).map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
