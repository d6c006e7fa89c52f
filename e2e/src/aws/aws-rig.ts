import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startAwsSts, startBedrockRuntime, startGithubOidcIssuer } from '@keyless/fakes';
import type {
  AwsStsFake,
  BedrockRuntimeFake,
  CredentialLookup,
  GithubOidcIssuer,
  StsRole,
} from '@keyless/fakes';
import { metricSample } from '../harness/metrics.ts';
import { responseRecorder, type ReadResponse } from '../harness/responses.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';

/** The role the aws tests federate into unless they test another one. */
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless-bedrock';
/** A Bedrock model id with the `:` that must be signed as sent. */
export const CLAUDE_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
/** Access key id of the dummy keys an agent holds; must never reach Bedrock. */
export const DUMMY_ACCESS_KEY_ID = 'AKIDDUMMY';
/** The Converse messages of a plain "hi". */
export const HI_MESSAGES = [{ role: 'user' as const, content: [{ text: 'hi' }] }];
/** Bounds for waits on the gateway (its logs arrive through a pipe), ms. */
export const POLL = { timeout: 10_000, interval: 50 };

/** What a workflow hands the aws plugin: the role, the region, and where STS and Actions are. */
export interface AwsWorkflow {
  readonly roleArn: string;
  readonly region: string;
  readonly stsUrl: string;
  readonly bedrockUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL. */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken: string;
}

/** The environment a workflow sets for GitHub OIDC federation through the aws plugin. */
export function awsWorkflowEnv(workflow: AwsWorkflow): Record<string, string> {
  return {
    AWF_AUTH_TYPE: 'github-oidc',
    AWF_AUTH_PROVIDER: 'aws',
    AWF_AUTH_AWS_ROLE_ARN: workflow.roleArn,
    AWF_AUTH_AWS_REGION: workflow.region,
    AWS_ENDPOINT_URL_STS: workflow.stsUrl,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: workflow.bedrockUrl,
    ACTIONS_ID_TOKEN_REQUEST_URL: workflow.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: workflow.requestToken,
  };
}

/** The official client as an agent holds it: dummy keys, plain HTTP, no retries of its own. */
export function bedrockClient(endpoint: string, region: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    endpoint,
    requestHandler: new NodeHttpHandler(),
    credentials: { accessKeyId: DUMMY_ACCESS_KEY_ID, secretAccessKey: 'dummy' },
    // A rejection must surface, so that only the gateway's replay can turn it into a 200.
    maxAttempts: 1,
  });
}

/** The body of `/readyz`. */
export interface AwsReadiness {
  readonly status: string;
  readonly routes: Array<Record<string, unknown>>;
}

export interface AwsRigOptions {
  /** The role STS admits; its ARN is the gateway's AWF_AUTH_AWS_ROLE_ARN. */
  readonly role: StsRole;
  /** Region of Bedrock's credential scope and the gateway's AWF_AUTH_AWS_REGION. */
  readonly region: string;
  /** STS session lifetime, s, overriding what the gateway asks for. */
  readonly durationSeconds?: number;
}

/**
 * The aws end-to-end setup: the GitHub OIDC issuer, STS trusting it, a Bedrock runtime that
 * accepts only the keys STS issued, and (once started) real gateways federated through them.
 */
export interface AwsRig {
  readonly issuer: GithubOidcIssuer;
  readonly sts: AwsStsFake;
  readonly bedrock: BedrockRuntimeFake;
  readonly region: string;
  /** Everything a client read through the rig; push others for the canary scan. */
  readonly responses: string[];
  /** The gateway started last; throws before `startGateway`. */
  readonly gateway: GatewayProcess;
  /** Every gateway started, oldest first: the canary scan reads all their output. */
  readonly gateways: readonly GatewayProcess[];
  /**
   * Starts a gateway with the workflow environment pointed at the fakes; `env` adds to or
   * overrides it, and an `undefined` value removes a variable.
   */
  startGateway(env?: Record<string, string | undefined>): Promise<GatewayProcess>;
  /** The official client pointed at one route of the latest gateway. */
  client(route?: string): BedrockRuntimeClient;
  /** POST `/model/{modelPath}/converse` with fetch; `modelPath` is sent exactly as given. */
  converse(
    modelPath: string,
    options?: { content?: string; headers?: Record<string, string> },
  ): Promise<ReadResponse>;
  /** GET `/readyz`: its status and body. */
  readiness(): Promise<{ status: number; body: AwsReadiness }>;
  /** One sample of `/metrics` (see `metricSample`); `undefined` when absent. */
  metric(name: string, labels: Record<string, string>): Promise<number | undefined>;
  /** Log lines of the latest gateway whose `event` is `event` or matches it (poll: lines lag). */
  events(event: string | RegExp): Array<Record<string, unknown>>;
  /** Every secret so far: the request token, each GitHub token, each STS secret and session token. */
  secrets(): string[];
  /** Secrets found in any gateway's output or any response read through the rig. */
  leaks(secrets?: readonly string[]): string[];
  close(): Promise<void>;
}

/** Starts the fakes of an AwsRig; gateways start later, so that faults can be set first. */
export async function startAwsRig(options: AwsRigOptions): Promise<AwsRig> {
  const issuer = await startGithubOidcIssuer();
  // Reads sts.issued at request time: only keys the STS fake issued verify.
  const credentials: CredentialLookup = (id) => sts.lookup(id);
  const [sts, bedrock] = await Promise.all([
    startAwsSts({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      roles: [options.role],
      ...(options.durationSeconds === undefined
        ? {}
        : { durationSeconds: options.durationSeconds }),
    }),
    startBedrockRuntime({ credentials, region: options.region }),
  ]);
  const bodies: string[] = [];
  const gateways: GatewayProcess[] = [];

  const latest = (): GatewayProcess => {
    const gateway = gateways.at(-1);
    if (!gateway) throw new Error('no gateway has been started');
    return gateway;
  };
  const read = responseRecorder(bodies);
  const secrets = () => [
    issuer.requestToken,
    ...issuer.minted,
    ...sts.issued.flatMap((credential) => [credential.secretAccessKey, credential.sessionToken]),
  ];

  return {
    issuer,
    sts,
    bedrock,
    region: options.region,
    responses: bodies,
    get gateway() {
      return latest();
    },
    gateways,
    async startGateway(env = {}) {
      const merged: Record<string, string | undefined> = {
        ...awsWorkflowEnv({
          roleArn: options.role.arn,
          region: options.region,
          stsUrl: sts.url,
          bedrockUrl: bedrock.url,
          requestUrl: issuer.requestUrl,
          requestToken: issuer.requestToken,
        }),
        ...env,
      };
      const defined = Object.entries(merged).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      );
      const gateway = await startGatewayProcess(Object.fromEntries(defined));
      gateways.push(gateway);
      return gateway;
    },
    client: (route = 'bedrock') => bedrockClient(latest().url(route), options.region),
    async converse(modelPath, { content = 'hi', headers = {} } = {}) {
      const response = await read(
        await fetch(`${latest().url('bedrock')}/model/${modelPath}/converse`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: content }] }] }),
        }),
      );
      bodies.push(JSON.stringify([...response.headers]));
      return response;
    },
    async readiness() {
      const response = await read(await fetch(`${latest().managementUrl}/readyz`));
      return { status: response.status, body: JSON.parse(response.text) as AwsReadiness };
    },
    async metric(name, labels) {
      const text = (await read(await fetch(`${latest().managementUrl}/metrics`))).text;
      return metricSample(text, name, labels);
    },
    events: (event) =>
      latest()
        .logs()
        .filter((line) =>
          typeof event === 'string' ? line.event === event : event.test(String(line.event)),
        ),
    secrets,
    leaks: (scanned = secrets()) =>
      findLeaks(
        {
          output: gateways.map((gateway) => gateway.output()).join('\n'),
          responses: bodies.join('\n'),
        },
        scanned,
      ),
    async close() {
      await Promise.all(gateways.map((gateway) => gateway.stop()));
      await Promise.all([bedrock.close(), sts.close(), issuer.close()]);
    },
  };
}
