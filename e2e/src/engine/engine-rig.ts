import { finished } from 'node:stream/promises';
import { startGithubOidcIssuer, startOpenAiUpstream, startTestTokenService } from '@keyless/fakes';
import type { FakeUpstream, GithubOidcIssuer, TestTokenService } from '@keyless/fakes';
import { metricSample } from '../harness/metrics.ts';
import { responseRecorder, type ReadResponse } from '../harness/responses.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';

/** One route of `/readyz`. */
export interface RigReadiness {
  readonly route: string;
  readonly provider: string;
  readonly state: string;
  readonly ready: boolean;
  readonly secondsToExpiry: number | null;
  readonly lastError: string | null;
}

/**
 * The credential engine's end-to-end setup: the GitHub OIDC issuer, the test
 * token service, an OpenAI upstream that accepts only the service's live
 * tokens, and (once started) the real gateway with the test-only plugin.
 */
export interface EngineRig {
  readonly issuer: GithubOidcIssuer;
  readonly service: TestTokenService;
  readonly upstream: FakeUpstream;
  /** Every response body read through the rig; push others for the canary scan. */
  readonly responses: string[];
  /** The gateway; throws before `startGateway`. */
  readonly gateway: GatewayProcess;
  /** Starts the gateway federated through the test plugin; `env` adds to or overrides the defaults. */
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  /** One non-streaming chat completion through the openai route, with a placeholder client key. */
  chat(content?: string): Promise<ReadResponse>;
  /** GET `/readyz`: its status and the openai route's entry. */
  readiness(): Promise<{ status: number; route: RigReadiness }>;
  /** Value of one sample in `/metrics` (0 when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
  /** Stops the gateway (SIGTERM) and resolves with its exit code once all its output was read. */
  stopGateway(): Promise<number | null>;
  /** Log lines with this `event` read so far (poll: lines arrive after the responses they describe). */
  events(event: string): Array<Record<string, unknown>>;
  /** Every secret so far: the request token, each minted GitHub token, each access token issued. */
  secrets(): string[];
  /** Secrets found in the gateway output or in any response body read through the rig. */
  leaks(): string[];
  close(): Promise<void>;
}

/** Starts the fakes of an EngineRig; the gateway starts later, so that faults can be set first. */
export async function startEngineRig(options: { expiresIn?: number } = {}): Promise<EngineRig> {
  const issuer = await startGithubOidcIssuer();
  const service = await startTestTokenService({
    issuer,
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  const upstream = await startOpenAiUpstream({
    authorize: (request) => service.authorizes(request),
  });
  const bodies: string[] = [];
  let gateway: GatewayProcess | undefined;

  const started = (): GatewayProcess => {
    if (!gateway) throw new Error('the gateway has not been started');
    return gateway;
  };
  const read = responseRecorder(bodies);
  const secrets = () => [
    issuer.requestToken,
    ...issuer.minted,
    ...service.issued.map((entry) => entry.token),
  ];

  return {
    issuer,
    service,
    upstream,
    responses: bodies,
    get gateway() {
      return started();
    },
    async startGateway(env = {}) {
      gateway = await startGatewayProcess(
        {
          AWF_AUTH_TYPE: 'github-oidc',
          AWF_AUTH_PROVIDER: 'test',
          AWF_AUTH_TEST_TOKEN_URL: service.tokenUrl,
          ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
          OPENAI_API_TARGET: upstream.url,
          ...env,
        },
        { entry: 'with-test-plugin' },
      );
      return gateway;
    },
    async chat(content = 'hi') {
      return read(
        await fetch(`${started().url('openai')}/v1/chat/completions`, {
          method: 'POST',
          // What an agent holds: a placeholder the gateway replaces.
          headers: { authorization: 'Bearer placeholder-key', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content }] }),
        }),
      );
    },
    async readiness() {
      const response = await read(await fetch(`${started().managementUrl}/readyz`));
      const body = JSON.parse(response.text) as { routes: RigReadiness[] };
      const route = body.routes.find((entry) => entry.route === 'openai');
      if (!route) throw new Error(`no openai route in /readyz: ${response.text}`);
      return { status: response.status, route };
    },
    async metric(name, labels) {
      const text = (await read(await fetch(`${started().managementUrl}/metrics`))).text;
      return metricSample(text, name, labels) ?? 0;
    },
    async stopGateway() {
      const process = started();
      const code = await process.stop();
      // `exit` can come before the last output chunks: the canary scan needs all of them.
      await Promise.all([finished(process.child.stdout!), finished(process.child.stderr!)]);
      return code;
    },
    events: (event) =>
      started()
        .logs()
        .filter((line) => line.event === event),
    secrets,
    leaks: () =>
      findLeaks({ output: gateway?.output() ?? '', responses: bodies.join('\n') }, secrets()),
    async close() {
      await gateway?.stop();
      await Promise.all([upstream.close(), service.close(), issuer.close()]);
    },
  };
}
