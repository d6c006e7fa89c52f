import { expect } from 'vitest';
import {
  VERTEX_ANTHROPIC_VERSION,
  bearerOf,
  startGcpSts,
  startGithubOidcIssuer,
  startGoogleUpstream,
} from '@keyless/fakes';
import type {
  FakeUpstream,
  GcpSts,
  GcpStsOptions,
  GithubOidcIssuer,
  GithubOidcIssuerOptions,
} from '@keyless/fakes';
import { metricSample } from '../harness/metrics.ts';
import { responseRecorder, type ReadResponse } from '../harness/responses.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';

/** The workload identity provider the fake STS serves (bare resource name). */
export const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';

/** A service account the federated principal may impersonate (when given to the STS). */
export const SERVICE_ACCOUNT = 'keyless-agent@octo-project.iam.gserviceaccount.com';

/** A Vertex Gemini generateContent path, as clients send it to the vertex route. */
export const GEMINI_GENERATE_PATH =
  '/v1/projects/octo-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent';

/** A minimal Gemini request body (JSON text). */
export const GEMINI_BODY = JSON.stringify({
  contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
});

/** A minimal Claude-on-Vertex request body (JSON text); `stream` asks for SSE. */
export function claudeBody(stream: boolean): string {
  return JSON.stringify({
    anthropic_version: VERTEX_ANTHROPIC_VERSION,
    max_tokens: 16,
    stream,
    messages: [{ role: 'user', content: 'hi' }],
  });
}

/** One route of `/readyz`. */
export interface RigReadiness {
  readonly route: string;
  readonly provider: string;
  readonly auth: string;
  readonly state: string;
  readonly ready: boolean;
  readonly secondsToExpiry: number | null;
  readonly lastError: string | null;
}

/** A gateway log line. */
export type LogLine = Record<string, unknown>;

export interface GcpRigOptions {
  /** Options of the GitHub OIDC issuer. */
  readonly issuer?: GithubOidcIssuerOptions;
  /** Options of the STS beyond its issuer and audience (always PROVIDER). */
  readonly sts?: Omit<GcpStsOptions, 'issuer' | 'audience'>;
}

/**
 * The GCP end-to-end setup: the GitHub OIDC issuer, the fake STS + IAM
 * Credentials, a Google upstream that accepts only the STS's live, unrevoked
 * tokens, and (once started) the real gateway federated through the gcp plugin.
 */
export interface GcpRig {
  readonly issuer: GithubOidcIssuer;
  readonly sts: GcpSts;
  readonly google: FakeUpstream;
  /** Every response body read through the rig; push others for the canary scan. */
  readonly responses: string[];
  /** Upstream requests refused because their token was unknown, expired or revoked. */
  readonly refused: number;
  /** The gateway; throws before `startGateway`. */
  readonly gateway: GatewayProcess;
  /**
   * Starts the gateway with the workflow's gcp environment; `env` adds to or
   * overrides the defaults, and an `undefined` value removes one.
   */
  startGateway(env?: Record<string, string | undefined>): Promise<GatewayProcess>;
  /** Makes the upstream answer 401 to this access token from now on. */
  revoke(token: string): void;
  /** POSTs `body` to a route of the gateway; `headers` default to a JSON content type. */
  post(
    route: string,
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<ReadResponse>;
  /** GET `/readyz`: its status and the entry of `route`. */
  readiness(route: string): Promise<{ status: number; route: RigReadiness }>;
  /** GET `/health` on a route's listener: its status and parsed body. */
  health(route: string): Promise<{ status: number; body: unknown }>;
  /** Value of one sample in `/metrics` whose labels include `labels`; undefined when absent. */
  metric(name: string, labels: Record<string, string>): Promise<number | undefined>;
  /** Log lines with this `event` (and passing `where`) read so far. */
  events(event: string, where?: (line: LogLine) => boolean): LogLine[];
  /**
   * Polls (up to 10 s) until at least `count` such lines were logged, then
   * returns them: the fakes answer before the gateway writes its log line.
   */
  waitForEvents(
    event: string,
    count?: number,
    where?: (line: LogLine) => boolean,
  ): Promise<LogLine[]>;
  /** Every secret so far: the request token, each minted GitHub token, each access token issued. */
  secrets(): string[];
  /** Secrets found in the gateway output or in any response body read through the rig. */
  leaks(): string[];
  close(): Promise<void>;
}

/** Starts the fakes of a GcpRig; the gateway starts later, once its environment is known. */
export async function startGcpRig(options: GcpRigOptions = {}): Promise<GcpRig> {
  const issuer = await startGithubOidcIssuer(options.issuer);
  const sts = await startGcpSts({ ...options.sts, issuer, audience: PROVIDER });
  const revoked = new Set<string>();
  let refused = 0;
  const google = await startGoogleUpstream({
    authorize: (request) => {
      const token = bearerOf(request);
      const ok = token !== undefined && sts.accepts(token) && !revoked.has(token);
      if (!ok) refused += 1;
      return ok;
    },
  });
  const bodies: string[] = [];
  let gateway: GatewayProcess | undefined;

  const started = (): GatewayProcess => {
    if (!gateway) throw new Error('the gateway has not been started');
    return gateway;
  };
  const read = responseRecorder(bodies);
  const events = (event: string, where: (line: LogLine) => boolean = () => true) =>
    started()
      .logs()
      .filter((line) => line.event === event && where(line));
  const secrets = () => [issuer.requestToken, ...issuer.minted, ...sts.issued];

  return {
    issuer,
    sts,
    google,
    responses: bodies,
    get refused() {
      return refused;
    },
    get gateway() {
      return started();
    },
    async startGateway(env = {}) {
      const merged: Record<string, string | undefined> = {
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'gcp',
        AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
        AWF_AUTH_GCP_TOKEN_URL: sts.tokenUrl,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: sts.iamCredentialsUrl,
        ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
        VERTEX_API_TARGET: google.url,
        ...env,
      };
      gateway = await startGatewayProcess(
        Object.fromEntries(
          Object.entries(merged).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
      );
      return gateway;
    },
    revoke: (token) => void revoked.add(token),
    async post(route, path, body, headers = { 'content-type': 'application/json' }) {
      return read(await fetch(`${started().url(route)}${path}`, { method: 'POST', headers, body }));
    },
    async readiness(route) {
      const response = await read(await fetch(`${started().managementUrl}/readyz`));
      const body = JSON.parse(response.text) as { routes: RigReadiness[] };
      const entry = body.routes.find((candidate) => candidate.route === route);
      if (!entry) throw new Error(`no ${route} route in /readyz: ${response.text}`);
      return { status: response.status, route: entry };
    },
    async health(route) {
      const response = await read(await fetch(`${started().url(route)}/health`));
      return { status: response.status, body: JSON.parse(response.text) };
    },
    async metric(name, labels) {
      const text = (await read(await fetch(`${started().managementUrl}/metrics`))).text;
      return metricSample(text, name, labels);
    },
    events,
    async waitForEvents(event, count = 1, where) {
      await expect
        .poll(() => events(event, where).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(count);
      return events(event, where);
    },
    secrets,
    leaks: () =>
      findLeaks({ output: gateway?.output() ?? '', responses: bodies.join('\n') }, secrets()),
    async close() {
      await gateway?.stop();
      await Promise.all([google.close(), sts.close(), issuer.close()]);
    },
  };
}
