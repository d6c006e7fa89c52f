import {
  startAnthropicTokenService,
  startAnthropicUpstream,
  startGithubOidcIssuer,
} from '@keyless/fakes';
import type {
  AnthropicTokenService,
  FakeUpstream,
  GithubOidcIssuer,
  GithubOidcIssuerOptions,
} from '@keyless/fakes';
import { expect } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { responseRecorder, type ReadResponse } from '../harness/responses.ts';

/** The organization, rule and service account of the fake federation. */
export const ORGANIZATION_ID = '00000000-0000-4000-8000-00000000a17c';
export const FEDERATION_RULE_ID = 'fdrl_01keyless';
export const SERVICE_ACCOUNT_ID = 'svac_01keyless';

/** A gateway log line. */
export type LogLine = Record<string, unknown>;

/**
 * The Anthropic end-to-end setup: the GitHub OIDC issuer, the fake Anthropic
 * token endpoint, an Anthropic upstream that accepts only that endpoint's live
 * Bearer tokens sent with the OAuth beta and without x-api-key, and (once
 * started) the real gateway federated through the anthropic plugin.
 */
export interface AnthropicRig {
  readonly issuer: GithubOidcIssuer;
  readonly tokens: AnthropicTokenService;
  readonly upstream: FakeUpstream;
  /** Every response body read through the rig (for the canary scan). */
  readonly responses: string[];
  readonly gateway: GatewayProcess;
  /** Starts the gateway with the workflow's anthropic environment plus `env`. */
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  /** POSTs JSON to the anthropic route with the placeholder key an agent holds. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ReadResponse>;
  /** Polls (up to 10 s) until `count` log lines with this event were written. */
  waitForEvents(event: string, count?: number): Promise<LogLine[]>;
  /** Secrets found in the gateway output or in any response body read through the rig. */
  leaks(): string[];
  close(): Promise<void>;
}

/** What an agent holds instead of a key: the gateway must drop it. */
export const PLACEHOLDER_KEY = 'sk-ant-placeholder-for-keyless';

/** Starts the fakes; the gateway starts later with `startGateway`. */
export async function startAnthropicRig(
  options: { issuer?: GithubOidcIssuerOptions; expiresIn?: number } = {},
): Promise<AnthropicRig> {
  const issuer = await startGithubOidcIssuer(options.issuer);
  const tokens = await startAnthropicTokenService({
    issuer,
    rules: [
      {
        id: FEDERATION_RULE_ID,
        organizationId: ORGANIZATION_ID,
        serviceAccountId: SERVICE_ACCOUNT_ID,
      },
    ],
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  const upstream = await startAnthropicUpstream({ authorize: (r) => tokens.authorizes(r) });
  const responses: string[] = [];
  const read = responseRecorder(responses);
  let gateway: GatewayProcess | undefined;
  const started = () => {
    if (!gateway) throw new Error('the gateway has not been started');
    return gateway;
  };
  const events = (event: string) =>
    started()
      .logs()
      .filter((line) => line.event === event);

  return {
    issuer,
    tokens,
    upstream,
    responses,
    get gateway() {
      return started();
    },
    async startGateway(env = {}) {
      gateway = await startGatewayProcess({
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'anthropic',
        AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: FEDERATION_RULE_ID,
        AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: ORGANIZATION_ID,
        AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: SERVICE_ACCOUNT_ID,
        AWF_AUTH_ANTHROPIC_TOKEN_URL: tokens.tokenUrl,
        ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
        ANTHROPIC_API_TARGET: upstream.url,
        ...env,
      });
      return gateway;
    },
    async post(path, body, headers = {}) {
      return read(
        await fetch(`${started().url('anthropic')}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'x-api-key': PLACEHOLDER_KEY,
            ...headers,
          },
          body: JSON.stringify(body),
        }),
      );
    },
    async waitForEvents(event, count = 1) {
      await expect
        .poll(() => events(event).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(count);
      return events(event);
    },
    leaks: () =>
      findLeaks({ output: gateway?.output() ?? '', responses: responses.join('\n') }, [
        issuer.requestToken,
        ...issuer.minted,
        ...tokens.issued.map((entry) => entry.token),
      ]),
    async close() {
      await gateway?.stop();
      await Promise.all([upstream.close(), tokens.close(), issuer.close()]);
    },
  };
}
