/**
 * Adversarial suite, identity side: the real gateway process against identity
 * services that echo the request's secrets (body and headers, many spellings),
 * redirect to another origin, cut their answer mid-secret, or answer 3xx with
 * HTML, for the GitHub token service and each provider's token exchange. Fails
 * on any leak, in any spelling or any 16-character piece, in the gateway's
 * stdout/stderr, the answers to the client, `/health`, `/readyz` or `/metrics`;
 * and on any request reaching the redirect target. Case list: docs/security.md.
 */
import { randomBytes } from 'node:crypto';
import { createTestCa, startGithubOidcIssuer } from '@keyless/fakes';
import type { GithubOidcIssuer } from '@keyless/fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { findLeaksInAnyForm } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import {
  HOSTILITIES,
  startBystander,
  startHostileIdentity,
  type Hostility,
  type Server,
} from './hostile-identity.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';

/** Which hop is hostile. */
type Target = 'github' | 'gcp' | 'aws' | 'azure';

interface Case {
  readonly env: Record<string, string>;
  /** The route a client calls, and the request it sends. */
  readonly route: string;
  readonly path: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup().catch(() => {})));
});

/** The gateway environment that points `target`'s token call at `hostile`, everything else at the bystander. */
function caseFor(
  target: Target,
  hostile: Server,
  bystander: Server,
  issuer: GithubOidcIssuer,
  requestToken: string,
  caFile: string | undefined,
): Case {
  const github =
    target === 'github'
      ? {
          ACTIONS_ID_TOKEN_REQUEST_URL: `${hostile.url}/token?api-version=2.0`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
        }
      : {
          ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
        };
  const common = { AWF_AUTH_TYPE: 'github-oidc', KEYLESS_CREDENTIAL_WAIT_MS: '3000', ...github };
  switch (target) {
    case 'github':
    case 'gcp':
      return {
        env: {
          ...common,
          AWF_AUTH_PROVIDER: 'gcp',
          AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
          AWF_AUTH_GCP_TOKEN_URL: `${target === 'gcp' ? hostile.url : bystander.url}/v1/token`,
          AWF_AUTH_GCP_IAM_CREDENTIALS_URL: bystander.url,
          VERTEX_API_TARGET: bystander.url,
        },
        route: 'vertex',
        path: '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
      };
    case 'aws':
      return {
        env: {
          ...common,
          AWF_AUTH_PROVIDER: 'aws',
          AWF_AUTH_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gh-bedrock',
          AWF_AUTH_AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_STS: hostile.url,
          AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bystander.url,
        },
        route: 'bedrock',
        path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      };
    case 'azure':
      return {
        env: {
          ...common,
          AWF_AUTH_PROVIDER: 'azure',
          AWF_AUTH_AZURE_TENANT_ID: TENANT,
          AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
          AZURE_AUTHORITY_HOST: hostile.url,
          NODE_EXTRA_CA_CERTS: caFile ?? '',
          OPENAI_API_TARGET: bystander.url,
        },
        route: 'openai',
        path: '/v1/chat/completions',
      };
  }
}

/** Everything the gateway showed anyone: answers (status line, headers, body) by label. */
async function collect(
  gateway: GatewayProcess,
  route: string,
  path: string,
): Promise<Record<string, string>> {
  const shown: Record<string, string> = {};
  const show = async (label: string, response: Response) => {
    shown[label] =
      `${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`;
    return response.status;
  };
  const status = await show(
    'client answer',
    await fetch(`${gateway.url(route)}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer placeholder-key' },
      body: '{"messages":[]}',
    }),
  );
  expect(status).toBe(503);
  // The failure has been recorded once /readyz reports it (the first exchange may still run).
  for (let tries = 0; tries < 50; tries += 1) {
    const readyz = await fetch(`${gateway.managementUrl}/readyz`).then((r) => r.text());
    if (readyz.includes('lastError') && !readyz.includes('"lastError":null')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await show('/health', await fetch(`${gateway.url(route)}/health`));
  await show('/readyz', await fetch(`${gateway.managementUrl}/readyz`));
  await show('/metrics', await fetch(`${gateway.managementUrl}/metrics`));
  await show(
    'second client answer',
    await fetch(`${gateway.url(route)}${path}`, { method: 'POST', body: '{}' }),
  );
  return shown;
}

describe.each(['github', 'gcp', 'aws', 'azure'] as const)(
  'a hostile %s token service',
  (target) => {
    it.each(HOSTILITIES)(
      '%s: nothing leaks in any form, nothing reaches another origin',
      async (hostility: Hostility) => {
        const bystander = await startBystander();
        cleanups.push(() => bystander.close());
        const issuer = await startGithubOidcIssuer();
        cleanups.push(() => issuer.close());
        const ca = target === 'azure' ? await createTestCa() : undefined;
        const hostile = await startHostileIdentity({
          hostility,
          bystander,
          ...(ca ? { tls: await ca.issue(), tenant: TENANT } : {}),
        });
        cleanups.push(() => hostile.close());
        const requestToken = `req-${randomBytes(24).toString('hex')}`;
        const { env, route, path } = caseFor(
          target,
          hostile,
          bystander,
          issuer,
          requestToken,
          ca?.certFile,
        );

        const gateway = await startGatewayProcess(env);
        cleanups.push(() => gateway.stop());
        const shown = await collect(gateway, route, path);
        await gateway.stop();

        // The attack happened: the hostile service got the token call.
        expect(hostile.requests.some((request) => !request.includes('openid-configuration'))).toBe(
          true,
        );
        expect(bystander.requests).toEqual([]);
        const secrets = [requestToken, issuer.requestToken, ...issuer.minted];
        expect(
          findLeaksInAnyForm({ ...shown, 'stdout+stderr': gateway.output() }, secrets),
        ).toEqual([]);
        if (hostility === 'redirect' || hostility === 'html-3xx') {
          expect(shown['client answer']).toMatch(/redirect/i);
        }
      },
      60_000,
    );
  },
);
