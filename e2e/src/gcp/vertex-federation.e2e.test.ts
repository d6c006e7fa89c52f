import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-server.ts';
import { startGcpSts, type GcpSts } from '../fakes/gcp-sts.ts';
import { startGithubOidcIssuer, type GithubOidcIssuer } from '../fakes/github-oidc-issuer.ts';
import { startGoogleUpstream, VERTEX_ANTHROPIC_VERSION } from '../fakes/google.ts';
import type { FakeUpstream } from '../fakes/sse.ts';
import { findLeaks } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const PROVIDER =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-actions';
const SERVICE_ACCOUNT = 'keyless-agent@octo-project.iam.gserviceaccount.com';
const LOCATION = '/v1/projects/octo-project/locations/us-east5';
const GEMINI = `${LOCATION}/publishers/google/models/gemini-2.5-flash`;
// `@` and `:` in one path: what Claude-on-Vertex clients send.
const CLAUDE = `${LOCATION}/publishers/anthropic/models/claude-sonnet-4@20250514`;
const ANSWER = 'Hello from the fake upstream.';
/** What an agent holds instead of a key: the gateway must drop it. */
const PLACEHOLDER_KEY = 'placeholder-goog-api-key';

const GEMINI_BODY = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
const CLAUDE_BODY = (stream: boolean) =>
  JSON.stringify({
    anthropic_version: VERTEX_ANTHROPIC_VERSION,
    max_tokens: 16,
    stream,
    messages: [{ role: 'user', content: 'hi' }],
  });

/** The bearer token of a recorded request, if any. */
function bearerOf(request: RecordedRequest): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}

/** `data:` payloads of an SSE body, parsed as JSON. */
function sseData(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
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

const MODES = [
  // The bare resource name in one mode and the `//iam.googleapis.com/` form in the other: both must normalise.
  { mode: 'direct federation', serviceAccount: undefined, providerValue: PROVIDER },
  {
    mode: 'service-account impersonation',
    serviceAccount: SERVICE_ACCOUNT,
    providerValue: `//iam.googleapis.com/${PROVIDER}`,
  },
] as const;

describe.each(MODES)(
  'GCP $mode on the vertex route (real gateway process)',
  ({ serviceAccount, providerValue }) => {
    let issuer: GithubOidcIssuer;
    let sts: GcpSts;
    let google: FakeUpstream;
    let gateway: GatewayProcess;
    /** Access tokens the upstream treats as revoked (answers 401). */
    const revoked = new Set<string>();
    const responses: string[] = [];

    /** The token the gateway should send: the impersonated one when impersonating, else the federated one. */
    const finalTokens = () => (serviceAccount ? sts.impersonated : sts.federated);

    beforeAll(async () => {
      issuer = await startGithubOidcIssuer();
      sts = await startGcpSts({ issuer, audience: PROVIDER, serviceAccounts: [SERVICE_ACCOUNT] });
      google = await startGoogleUpstream({
        authorize: (request) => {
          const token = bearerOf(request);
          return token !== undefined && sts.accepts(token) && !revoked.has(token);
        },
      });
      gateway = await startGatewayProcess({
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'gcp',
        AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: providerValue,
        ...(serviceAccount ? { AWF_AUTH_GCP_SERVICE_ACCOUNT: serviceAccount } : {}),
        AWF_AUTH_GCP_TOKEN_URL: sts.tokenUrl,
        AWF_AUTH_GCP_IAM_CREDENTIALS_URL: sts.iamCredentialsUrl,
        ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
        VERTEX_API_TARGET: google.url,
      });
    });
    afterAll(async () => {
      await gateway?.stop();
      await Promise.all([google?.close(), sts?.close(), issuer?.close()]);
    });

    const post = async (path: string, body: string) => {
      const res = await fetch(`${gateway.url('vertex')}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': PLACEHOLDER_KEY },
        body,
      });
      return res;
    };

    it('Gemini generateContent: the upstream gets the final access token as Bearer, never the GitHub token or a key', async () => {
      const res = await post(`${GEMINI}:generateContent`, GEMINI_BODY);
      const text = await res.text();
      responses.push(text);
      expect(res.status).toBe(200);
      const answer = JSON.parse(text) as {
        candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
      };
      expect(answer.candidates[0]!.content.parts[0]!.text).toBe(ANSWER);

      const seen = google.requests.at(-1)!;
      expect(seen.url).toBe(`${GEMINI}:generateContent`);
      expect(seen.headers['x-goog-api-key']).toBeUndefined();
      const token = bearerOf(seen);
      expect(token).toBe(finalTokens().at(-1));
      if (serviceAccount) expect(sts.federated).not.toContain(token);
      expect(issuer.minted).not.toContain(token);
    });

    it('exchanges with the normalised audiences (and impersonates with the federated token)', async () => {
      // GitHub token audience: https://iam.googleapis.com/{provider}; STS audience: //iam.googleapis.com/{provider}.
      await expect(
        issuer.verify(issuer.minted[0]!, { audience: `https://iam.googleapis.com/${PROVIDER}` }),
      ).resolves.toBeTruthy();
      const exchange = new URLSearchParams(
        sts.requests.find((r) => r.url === '/v1/token')!.body.toString('utf8'),
      );
      expect(exchange.get('audience')).toBe(`//iam.googleapis.com/${PROVIDER}`);
      expect(exchange.get('subject_token')).toBe(issuer.minted[0]);
      expect(exchange.get('scope')).toBe('https://www.googleapis.com/auth/cloud-platform');

      const iamCalls = sts.requests.filter((r) => r.url.endsWith(':generateAccessToken'));
      if (!serviceAccount) {
        expect(iamCalls).toEqual([]);
        return;
      }
      expect(iamCalls[0]!.url).toBe(
        `/v1/projects/-/serviceAccounts/${SERVICE_ACCOUNT}:generateAccessToken`,
      );
      expect(bearerOf(iamCalls[0]!)).toBe(sts.federated[0]);
      expect(JSON.parse(iamCalls[0]!.body.toString('utf8'))).toMatchObject({
        scope: ['https://www.googleapis.com/auth/cloud-platform'],
        lifetime: '3600s',
      });
    });

    it('Gemini streamGenerateContent?alt=sse streams chunk by chunk as SSE', async () => {
      google.stream.holdAfter = 2;
      try {
        const res = await post(`${GEMINI}:streamGenerateContent?alt=sse`, GEMINI_BODY);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = decoder.decode((await reader.read()).value, { stream: true });
        expect(text).toContain('data: ');
        await google.stream.waitFor('held');
        // The upstream still holds the rest of the stream while the client already has its first event.
        expect(google.stream.completed).toBe(0);
        google.stream.release();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          text += decoder.decode(chunk.value, { stream: true });
        }
        responses.push(text);
        const pieces = sseData(text).map(
          (event) =>
            (event as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> })
              .candidates[0]!.content.parts[0]!.text,
        );
        expect(pieces.join('')).toBe(ANSWER);
        expect(pieces.length).toBeGreaterThan(1);
      } finally {
        google.stream.holdAfter = undefined;
        google.stream.release();
      }
      const seen = google.requests.at(-1)!;
      expect(seen.url).toBe(`${GEMINI}:streamGenerateContent?alt=sse`);
      expect(bearerOf(seen)).toBe(finalTokens().at(-1));
    });

    it('Claude rawPredict: the path with @ and : arrives unchanged', async () => {
      const res = await post(`${CLAUDE}:rawPredict`, CLAUDE_BODY(false));
      const text = await res.text();
      responses.push(text);
      expect(res.status).toBe(200);
      expect(JSON.parse(text)).toMatchObject({
        type: 'message',
        content: [{ type: 'text', text: ANSWER }],
      });
      const seen = google.requests.at(-1)!;
      expect(seen.url).toBe(`${CLAUDE}:rawPredict`);
      expect(bearerOf(seen)).toBe(finalTokens().at(-1));
      expect(seen.headers['x-goog-api-key']).toBeUndefined();
    });

    it('Claude streamRawPredict: Anthropic SSE events arrive as a stream, path unchanged', async () => {
      const res = await post(`${CLAUDE}:streamRawPredict`, CLAUDE_BODY(true));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      responses.push(text);
      const events = sseData(text);
      expect(events[0]).toMatchObject({ type: 'message_start' });
      expect(events.at(-1)).toMatchObject({ type: 'message_stop' });
      const deltas = events
        .filter((event) => event.type === 'content_block_delta')
        .map((event) => (event as { delta: { text: string } }).delta.text);
      expect(deltas.join('')).toBe(ANSWER);
      expect(text).toMatch(/^event: message_start\n/);
      expect(google.requests.at(-1)!.url).toBe(`${CLAUDE}:streamRawPredict`);
    });

    it('an upstream 401 renews the credential once and replays once: the client sees 200', async () => {
      const rejected = finalTokens().at(-1)!;
      revoked.add(rejected);
      const federatedBefore = sts.federated.length;
      const impersonatedBefore = sts.impersonated.length;
      const upstreamBefore = google.requests.length;

      const res = await post(`${CLAUDE}:rawPredict`, CLAUDE_BODY(false));
      responses.push(await res.text());
      expect(res.status).toBe(200);

      const seen = google.requests.slice(upstreamBefore);
      expect(seen.map(bearerOf)).toEqual([rejected, finalTokens().at(-1)]);
      expect(seen[1]!.url).toBe(`${CLAUDE}:rawPredict`);
      // Exactly one new exchange (STS, plus IAM when impersonating).
      expect(sts.federated.length).toBe(federatedBefore + 1);
      expect(sts.impersonated.length).toBe(impersonatedBefore + (serviceAccount ? 1 : 0));

      await expect
        .poll(
          () => gateway.logs().filter((line) => line.event === 'request' && line.replayed === true),
          { timeout: 10_000 },
        )
        .toHaveLength(1);
      const line = gateway.logs().find((l) => l.event === 'request' && l.replayed === true)!;
      expect(line).toMatchObject({ route: 'vertex', status: 200, upstreamStatus: 200 });
      const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
      expect(metric(metrics, 'keyless_replays_total', { route: 'vertex', provider: 'gcp' })).toBe(
        1,
      );
    });

    it('readiness reports the gcp credential on the vertex route', async () => {
      const res = await fetch(`${gateway.managementUrl}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { routes: Array<Record<string, unknown>> };
      expect(body.routes).toContainEqual(
        expect.objectContaining({
          route: 'vertex',
          provider: 'gcp',
          auth: 'github-oidc',
          ready: true,
        }),
      );
      const health = await fetch(`${gateway.url('vertex')}/health`);
      expect(await health.json()).toMatchObject({ status: 'healthy', provider: 'gcp' });
    });

    it('canary: no request token, GitHub token or issued access token in any output, response or upstream request', async () => {
      expect(await gateway.stop()).toBe(0);
      const secrets = [issuer.requestToken, ...issuer.minted, ...sts.issued];
      // Non-empty lists, or the scan would prove nothing.
      expect(issuer.minted.length).toBeGreaterThan(0);
      expect(sts.issued.length).toBeGreaterThan(0);
      expect(
        findLeaks({ output: gateway.output(), responses: responses.join('\n') }, secrets),
      ).toEqual([]);
      // The GitHub token and the request token go to STS only, never to the model upstream.
      const upstream = google.requests
        .map((r) => JSON.stringify(r.headers) + r.body.toString('utf8'))
        .join('\n');
      expect(findLeaks({ upstream }, [issuer.requestToken, ...issuer.minted])).toEqual([]);
    });
  },
);
